import { parse, print, withContainer, type Command, type CommandHelp } from '../args.js';

export const CLEANUP_HELP: CommandHelp = { name: 'cleanup', summary: 'Delete expired codes, tokens, sessions, grants, retired keys and audit events past audit.retention, once.' };

/**
 * `gatehouse cleanup`: the janitor's purge run once (expired codes, tokens, sessions and grants, retired keys
 * past publication, audit events past `audit.retention`), for hosts that schedule it with cron.
 */
export const cleanupCommand: Command = async (argv) => {
  const { values } = parse(argv, {}, CLEANUP_HELP);
  return withContainer(values.config, async (c) => {
    const purged = await c.purgeExpired();
    print(values.json, { purged }, () => `deleted ${purged} expired row(s)`);
    return 0;
  });
};
