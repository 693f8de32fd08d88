import { parse, print, withContainer, type Command } from '../args.js';

/**
 * `gatehouse cleanup`: the janitor's purge run once (expired codes, tokens, sessions and grants, retired keys
 * past publication, audit events past `audit.retention`), for hosts that schedule it with cron.
 */
export const cleanupCommand: Command = async (argv) => {
  const { values } = parse(argv, {});
  return withContainer(values.config, async (c) => {
    const purged = await c.purgeExpired();
    print(values.json, { purged }, () => `deleted ${purged} expired row(s)`);
    return 0;
  });
};
