import { parseDuration } from '../../oauth/duration.js';
import { parse, print, UsageError, withContainer, type Command, type CommandHelp } from '../args.js';

export const REGISTRATION_TOKENS_HELP: CommandHelp = {
  name: 'registration-tokens',
  summary: 'RFC 7591 initial access tokens for /oauth/register.',
  subcommands: { create: { summary: 'make one; it is shown once and stored as a hash' } },
};

/** RFC 7591 initial access tokens for /oauth/register. */
export const registrationTokensCommand: Command = async (argv) => {
  const { values, positionals } = parse(
    argv,
    {
      uses: { type: 'string', value: 'N', description: 'how many registrations it allows (default: unlimited)' },
      expires: { type: 'string', value: 'DURATION', description: 'lifetime, e.g. 3600, 30m or 24h (default: none)' },
    },
    REGISTRATION_TOKENS_HELP,
  );
  if (positionals[0] !== 'create') throw new UsageError('usage: gatehouse registration-tokens create [--uses N] [--expires 1h]');
  const uses = values.uses === undefined ? null : Number(values.uses);
  if (uses !== null && (!Number.isInteger(uses) || uses < 1)) throw new UsageError('--uses must be a positive integer');
  const ttl = values.expires === undefined ? null : parseDuration(values.expires);
  if (ttl === undefined) throw new UsageError('--expires must be a duration like 3600, 30m or 24h');
  return withContainer(values.config, async (c) => {
    const { token, expiresAt } = await c.clients.createRegistrationToken(uses, ttl);
    print(values.json, { token, uses, expires_at: expiresAt }, () => `initial access token (shown once): ${token}`);
    return 0;
  });
};
