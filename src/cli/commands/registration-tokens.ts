import { parseDuration } from '../../oauth/duration.js';
import { parse, print, UsageError, withContainer, type Command } from '../args.js';

/** RFC 7591 initial access tokens for /oauth/register. */
export const registrationTokensCommand: Command = async (argv) => {
  const { values, positionals } = parse(argv, { uses: { type: 'string' }, expires: { type: 'string' } });
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
