/**
 * The Device Authorization Grant (RFC 8628). The device asks at POST /oauth/device_authorization (client
 * authenticated as at the token endpoint) and gets a device code, which it polls the token endpoint with, and a
 * user code, which the person types at /device. The page only finds the authorization; login and consent are
 * the code flow's own interaction (authorize.service.ts `startCompletion`), whose completion approves the
 * device authorization instead of issuing a code (authorize/completion.ts). The token endpoint's side is
 * token/grants/device-code.grant.ts.
 *
 * Codes are kept only as sha256: the device code is a 256-bit random token; the user code, which a person
 * types and so is short (user-code.ts), is guarded by its lifetime and a per-address limit on entries, counted
 * before the lookup (the login throttle's reserve).
 */
import { randomUUID } from 'node:crypto';
import type { LoginThrottle } from '../accounts/login-throttle.js';
import type { AuthorizationRequest } from '../authorize/authorize-request.js';
import type { AuthorizeService, Outcome } from '../authorize/authorize.service.js';
import { mayRequestResource, type Client } from '../clients/client.js';
import type { Clock } from '../oauth/clock.js';
import { InvalidRequest, InvalidScope, InvalidTarget, UnauthorizedClient } from '../oauth/errors.js';
import { sha256 } from '../oauth/hash.js';
import { randomToken } from '../oauth/random.js';
import { grantScopes, parseScope } from '../oauth/scope.js';
import type { BrowserSession } from '../sessions/session.store.js';
import type { DeviceAuthorizationStore } from './device-authorization.store.js';
import { newUserCode, normaliseUserCode } from './user-code.js';

export const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

export interface DeviceDeps {
  store: DeviceAuthorizationStore;
  clock: Clock;
  /** `auth.device.lifetime`: seconds a device and user code stay usable. */
  lifetime: number;
  /** `auth.device.interval`: the seconds a device waits between polls, at first. */
  interval: number;
  /** The /device page (§3.2 verification_uri). */
  verificationUri: string;
  /** Entries of user codes, per address (auth.device.userCodeRateLimit). */
  throttle: LoginThrottle;
  authorize: Pick<AuthorizeService, 'startCompletion'>;
  findClient(clientId: string): Promise<Client | undefined>;
}

/** RFC 8628 §3.2. */
export interface DeviceAuthorizationResponse {
  device_code: string;
  user_code: string;
  verification_uri: string;
  verification_uri_complete: string;
  expires_in: number;
  interval: number;
}

export type CodeEntry = { kind: 'limited'; retryAfter: number } | { kind: 'unknown' } | { kind: 'found'; outcome: Outcome };

export class DeviceAuthorizationService {
  private readonly deps: DeviceDeps;

  constructor(deps: DeviceDeps) {
    this.deps = deps;
  }

  /** POST /oauth/device_authorization for an authenticated client; errors are RFC 6749 §5.2 JSON. */
  async request(client: Client, params: Record<string, string>): Promise<DeviceAuthorizationResponse> {
    if (!client.grantTypes.includes(DEVICE_CODE_GRANT)) throw new UnauthorizedClient('the client is not allowed the device_code grant');
    if (params['client_id'] !== undefined && params['client_id'] !== client.clientId) throw new InvalidRequest('client_id does not match the authenticated client');
    // §3.1: scope as at the authorization endpoint (RFC 6749 §3.3), every scope registered for the client.
    const scopes = grantScopes(parseScope(params['scope']), client.scopes);
    if (scopes.length === 0) throw new InvalidScope('scope is required');
    const resource = params['resource'];
    if (resource !== undefined && !mayRequestResource(client, resource)) {
      throw new InvalidTarget('the requested resource is not allowed for this client');
    }
    const now = this.deps.clock.now();
    const deviceCode = randomToken(32);
    // A user code already taken (live or not yet purged) is drawn again; three collisions in 2^34 mean a bug.
    for (let attempt = 0; attempt < 3; attempt++) {
      const userCode = newUserCode();
      const inserted = await this.deps.store.insert({
        id: randomUUID(),
        clientId: client.clientId,
        deviceCodeHash: sha256(deviceCode),
        userCodeHash: sha256(normaliseUserCode(userCode)!),
        scopes,
        resource: resource ?? null,
        status: 'pending',
        userId: null,
        grantId: null,
        authTime: null,
        amr: null,
        interval: this.deps.interval,
        lastPolledAt: null,
        createdAt: now,
        expiresAt: now + this.deps.lifetime,
      });
      if (inserted) {
        return {
          device_code: deviceCode,
          user_code: userCode,
          verification_uri: this.deps.verificationUri,
          verification_uri_complete: `${this.deps.verificationUri}?user_code=${encodeURIComponent(userCode)}`,
          expires_in: this.deps.lifetime,
          interval: this.deps.interval,
        };
      }
    }
    throw new Error('could not draw a free user code');
  }

  /**
   * A user code typed at /device (POST). The entry is counted against the address before the lookup (§5.1:
   * brute force); a right code is refunded. A found, pending authorization continues in the interaction.
   */
  async enter(input: string, ip: string, session: BrowserSession | undefined): Promise<CodeEntry> {
    const attempt = await this.deps.throttle.reserve({ account: ip, ip });
    if (!attempt.allowed) return { kind: 'limited', retryAfter: attempt.retryAfter };
    const code = normaliseUserCode(input);
    const found = code ? await this.deps.store.findByUserCode(sha256(code)) : undefined;
    const client = found ? await this.deps.findClient(found.clientId) : undefined;
    if (!found || !client || found.status !== 'pending' || found.expiresAt <= this.deps.clock.now()) return { kind: 'unknown' };
    attempt.release();
    const request: AuthorizationRequest = {
      clientId: client.clientId,
      redirectUri: '',
      responseMode: 'query',
      state: undefined,
      scopes: found.scopes,
      nonce: undefined,
      codeChallenge: undefined,
      prompt: ['consent'],
      maxAge: undefined,
      loginHint: undefined,
      resource: found.resource ?? undefined,
      claims: null,
      completion: { kind: 'device', id: found.id },
    };
    return { kind: 'found', outcome: await this.deps.authorize.startCompletion(client, request, session) };
  }

  async purgeExpired(): Promise<number> {
    return this.deps.store.purgeExpired(this.deps.clock.now());
  }
}
