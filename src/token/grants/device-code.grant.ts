/**
 * RFC 8628 §3.4–3.5: the device polls with its device code. Pending → authorization_pending (slow_down, and 5 s
 * more interval, when it polls faster than its interval); denied → access_denied; expired → expired_token;
 * unknown, another client's, or already used → invalid_grant. Approved → the tokens of the grant the consent
 * created, issued as for an authorization code (issue.ts), after one conditional statement spent the device
 * code (approved → consumed): of two concurrent polls exactly one gets tokens. The consumption commits on its
 * own (as the authorization code's does), so a device code can never be exchanged twice. A device code used
 * again after that is a replay: as for an authorization code (RFC 6749 §4.1.2), the grant it issued is revoked,
 * since whoever holds a copy of the code may hold its tokens too.
 */
import type { Client } from '../../clients/client.js';
import { DEVICE_CODE_GRANT } from '../../device/device.service.js';
import type { DeviceAuthorization } from '../../device/device-authorization.store.js';
import { record, type AuditContext } from '../../audit/audit-event.js';
import { AuthorizationPending, DeviceAccessDenied, ExpiredToken, InvalidGrant, InvalidRequest, SlowDown, UnsupportedGrantType } from '../../oauth/errors.js';
import { sha256 } from '../../oauth/hash.js';
import { bindsRefreshToken, issueUserTokens } from '../issue.js';
import type { GrantContext, GrantHandler, ProofOfPossession, TokenResponse } from './index.js';

async function issue(ctx: GrantContext, client: Client, d: DeviceAuthorization, proof: ProofOfPossession | undefined): Promise<TokenResponse> {
  const grant = d.grantId ? await ctx.tokens.grantContext(d.grantId) : undefined;
  if (!grant || grant.revokedAt !== null) throw new InvalidGrant('the grant was revoked');
  if (grant.user.disabledAt !== null) throw new InvalidGrant('the user is disabled');
  const dpopJkt = proof?.dpopJkt;
  return issueUserTokens(ctx, ctx.tokens, {
    client,
    user: grant.user,
    grantId: d.grantId!,
    grantExpiresAt: grant.expiresAt,
    grantScopes: d.scopes,
    scopes: d.scopes,
    resource: d.resource,
    authTime: d.authTime ?? ctx.clock.now(),
    // The browser session approved a device it is not part of: logging out of it does not end the device's tokens.
    sid: null,
    amr: d.amr ?? ['pwd'],
    nonce: null,
    claimsRequest: null,
    parentHash: null,
    dpopJkt: dpopJkt ?? null,
    refreshJkt: bindsRefreshToken(client, dpopJkt),
    binding: proof?.certificate,
  });
}

async function revokeReplayed(ctx: GrantContext, grantId: string | null, request: AuditContext | undefined): Promise<InvalidGrant> {
  if (!grantId) return new InvalidGrant('device code already used');
  const now = ctx.clock.now();
  await ctx.transaction(async (stores) => {
    await stores.tokens.revokeGrant(grantId, now);
    await record(stores.audit, now, { action: 'device_code.replay', outcome: 'failure', target: { type: 'grant', id: grantId } }, request);
  });
  return new InvalidGrant('device code already used; its grant was revoked');
}

export const deviceCodeGrant: GrantHandler = {
  grantType: DEVICE_CODE_GRANT,
  async handle(ctx, client, params, request, proof) {
    const devices = ctx.devices;
    if (!devices) throw new UnsupportedGrantType(`grant_type ${DEVICE_CODE_GRANT} is not supported`);
    const deviceCode = params['device_code'];
    if (!deviceCode) throw new InvalidRequest('device_code is required');
    const hash = sha256(deviceCode);
    const now = ctx.clock.now();
    const found = await devices.findByDeviceCode(hash);
    if (!found || found.clientId !== client.clientId) throw new InvalidGrant('unknown device code');
    if (found.status === 'consumed') throw await revokeReplayed(ctx, found.grantId, request);
    if (found.expiresAt <= now) throw new ExpiredToken('the device code has expired');
    if (found.status === 'denied') throw new DeviceAccessDenied('the user denied the request');
    if (found.status === 'pending') {
      const poll = await devices.poll(found.id, now);
      if (poll.kind === 'slow_down') throw new SlowDown(`polling too fast: wait ${poll.interval} seconds between requests`);
      throw new AuthorizationPending('the user has not yet approved the request');
    }
    const consumed = await devices.consume(hash, client.clientId, now);
    if (!consumed) throw await revokeReplayed(ctx, found.grantId, request);
    return issue(ctx, client, consumed, proof);
  },
};
