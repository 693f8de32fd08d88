import { auditEventView } from '../../audit/audit.service.js';
import type { AuditEvent } from '../../audit/audit.store.js';
import { parse, print, UsageError, withContainer, type Command, type CommandHelp } from '../args.js';

export const AUDIT_HELP: CommandHelp = {
  name: 'audit',
  summary: 'The audit log: who did what, newest first.',
  subcommands: { list: { summary: 'one page of events; --cursor continues where the last page ended' } },
};

const USAGE = 'usage: gatehouse audit list [--since 1h|EPOCH|ISO] [--actor ID] [--action A|prefix.*] [--limit N] [--cursor C] [--json]';

const line = (e: AuditEvent) =>
  [
    new Date(e.at * 1000).toISOString(),
    e.action.padEnd(28),
    e.outcome.padEnd(7),
    `${e.actorType}:${e.actorId ?? '-'}`.padEnd(46),
    e.targetType ? `${e.targetType}:${e.targetId ?? '-'}` : '-',
    e.ip ?? '',
  ].join(' ');

/** `gatehouse audit list`: the newest events first, one page; `--cursor` continues where the last page ended. */
export const auditCommand: Command = async (argv) => {
  const { values, positionals } = parse(
    argv,
    {
      since: { type: 'string', value: 'WHEN', description: 'only events since: a duration back (1h), epoch seconds or an ISO date' },
      actor: { type: 'string', value: 'ID', description: 'only events by this actor (user or client id)' },
      action: { type: 'string', value: 'ACTION', description: 'only this action, or a prefix as `client.*`' },
      limit: { type: 'string', value: 'N', description: 'events per page' },
      cursor: { type: 'string', value: 'C', description: 'the cursor the previous page printed' },
    },
    AUDIT_HELP,
  );
  if (positionals[0] !== 'list' || positionals.length > 1) throw new UsageError(USAGE);
  return withContainer(values.config, async (c) => {
    const page = await c.audit.list({ since: values.since, actor: values.actor, action: values.action, limit: values.limit, cursor: values.cursor });
    print(values.json, { events: page.events.map(auditEventView), next_cursor: page.nextCursor }, () =>
      [...page.events.map(line), ...(page.nextCursor ? [`more: --cursor ${page.nextCursor}`] : [])].join('\n') || 'no events',
    );
    return 0;
  });
};
