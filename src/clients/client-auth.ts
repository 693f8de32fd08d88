/**
 * Client authentication at the token, introspection and revocation endpoints (RFC 6749 §2.3, RFC 7523 §2.2,
 * OpenID Connect Core §9). A client may use only its registered method; two methods at once is invalid_request.
 */
import { createLocalJWKSet, decodeJwt, errors, jwtVerify, type JSONWebKeySet, type JWTPayload } from 'jose';
import type { Clock } from '../oauth/clock.js';
import type { OutboundFetcher } from '../outbound/outbound-fetch.js';
import { RemoteKeySets } from '../outbound/remote-key-sets.js';
import { InvalidClient, InvalidRequest, TooManyRequests } from '../oauth/errors.js';
import type { LoginAttempt, LoginThrottle } from '../accounts/login-throttle.js';
import { sha256 } from '../oauth/hash.js';
import { ASYMMETRIC_ASSERTION_ALGS, HMAC_ASSERTION_ALGS, type AuthMethod, type Client } from './client.js';
import type { ClientService } from './client.service.js';
import type { ClientStore } from './client.store.js';
import type { SecretHasher } from './client-secret.js';
import type { Fapi2Profile } from '../fapi/fapi2-profile.js';
import { verifySelfSignedTlsClientAuth, verifyTlsClientAuth, type PresentedCertificate } from '../mtls/mtls-auth.js';
import type { X509Certificate } from 'node:crypto';

export const JWT_BEARER_ASSERTION = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const MAX_ASSERTION_LIFETIME = 3600;
const CLOCK_SKEW = 30;
/** A JWKS that lacks the assertion's key is fetched again only when the cached copy is older than this. */
const JWKS_REFETCH_AFTER_MS = 30_000;
/** verify() without hashing: only an argon2id verification can settle this secret. */
const NEEDS_HASH = Symbol('needs argon2id');

const tooMany = (retryAfter: number) => new TooManyRequests(`too many failed client authentications; retry after ${retryAfter} s`, retryAfter);

export interface ClientCredentials {
  /** The Authorization header, if any. */
  authorization: string | undefined;
  /** Form parameters (already checked for duplicates). */
  params: Record<string, string>;
  /** The caller's address, for the failed-authentication limits. */
  ip?: string | undefined;
  /** RFC 8705: the client certificate of the connection (or of a trusted proxy's header), if any. */
  certificate?: PresentedCertificate | undefined;
}

interface AssertionReplayGuard {
  useAssertionJti(jtiHash: string, expiresAt: number, now: number): Promise<boolean>;
}

export interface ClientAuthDeps {
  clients: ClientService;
  store: ClientStore;
  tokens: AssertionReplayGuard;
  hasher: SecretHasher;
  clock: Clock;
  issuer: string;
  /** Fetches jwks_uri documents (https only, public addresses only, bounded, cached). */
  outbound: Pick<OutboundFetcher, 'fetchJson'>;
  /**
   * Failed authentications per (client_id, IP), per IP and per client_id (addresses that authenticated as the
   * client recently are exempt from the last), reserved before the secret or assertion is checked.
   */
  throttle?: LoginThrottle | undefined;
  /** FAPI 2.0 (src/fapi/): profile clients authenticate only with its methods and algorithms. */
  fapi?: Pick<Fapi2Profile, 'appliesTo' | 'assertionAlgs' | 'authenticationProblem'>;
  /** RFC 8705 §2.1: the CAs tls_client_auth certificates must chain to (server.tls.clientCaFile). */
  trustAnchors?: readonly X509Certificate[];
}

interface Presented {
  /** `jwt` = a client assertion; whether HMAC or signature is settled by the registered method. */
  method: Exclude<AuthMethod, 'client_secret_jwt' | 'private_key_jwt' | 'tls_client_auth' | 'self_signed_tls_client_auth'> | 'jwt' | 'mtls';
  clientId: string;
  secret?: string;
  assertion?: string;
  /** `mtls`: a client_id and a client certificate; which mTLS method (or a public client) is the registration's. */
  certificate?: PresentedCertificate;
}

const isMtlsMethod = (m: AuthMethod) => m === 'tls_client_auth' || m === 'self_signed_tls_client_auth';

/** Whether what was presented is the registered method. A public client may present a certificate (RFC 8705 §4). */
function presentedFits(presented: Presented['method'], registered: AuthMethod): boolean {
  if (presented === 'jwt') return registered === 'client_secret_jwt' || registered === 'private_key_jwt';
  if (presented === 'mtls') return isMtlsMethod(registered) || registered === 'none';
  return presented === registered;
}

function formDecode(value: string): string {
  // RFC 6749 §2.3.1: id and secret are application/x-www-form-urlencoded before Basic encoding.
  return decodeURIComponent(value.replace(/\+/g, ' '));
}

export class ClientAuthenticator {
  /** Key sets of fetched jwks_uri documents (src/outbound/). */
  private readonly fetchedSets: RemoteKeySets;

  private readonly deps: ClientAuthDeps;
  /** argon2id verifications in flight by (client, address, SHA-256 of the secret); in memory only. */
  private readonly hashing = new Map<string, Promise<Client>>();

  constructor(deps: ClientAuthDeps) {
    this.deps = deps;
    this.fetchedSets = new RemoteKeySets(deps.outbound);
  }

  /** Returns the authenticated client or throws invalid_client (401) / invalid_request / too_many_requests (429). */
  async authenticate(req: ClientCredentials, endpointUrl: string): Promise<Client> {
    const presented = this.presented(req);
    const throttle = this.deps.throttle;
    // A public client presents nothing to guess.
    if (presented.method === 'none' || !throttle || !req.ip) return (await this.verify(presented, endpointUrl, true)) as Client;
    const attempt = { account: presented.clientId, ip: req.ip };
    const gate = await throttle.peek(attempt);
    if (!gate.allowed) throw tooMany(gate.retryAfter);
    // Cheap checks first (an HMAC, a cached argon2id match, a signature), uncounted: a busy client's concurrent
    // requests never take each other's slots. Only a failure is counted, and an argon2id hash is run only after
    // its slot is taken, so a burst of guesses cannot outrun the limit.
    let refused: InvalidClient | undefined;
    try {
      const quick = await this.verify(presented, endpointUrl, false);
      if (quick !== NEEDS_HASH) {
        throttle.succeeded(attempt);
        return quick;
      }
    } catch (err) {
      if (!(err instanceof InvalidClient)) throw err;
      refused = err;
    }
    if (refused) {
      const reservation = await throttle.reserve(attempt);
      throw reservation.allowed ? refused : tooMany(reservation.retryAfter);
    }
    // Requests with the same secret from the same address share one slot and one hash: a client's burst after
    // a restart is one attempt, not one per request.
    const key = `${presented.method}\n${attempt.account}\n${attempt.ip}\n${sha256(presented.secret ?? '')}`;
    let hashed = this.hashing.get(key);
    if (!hashed) {
      hashed = this.hashed(presented, endpointUrl, attempt, throttle).finally(() => this.hashing.delete(key));
      this.hashing.set(key, hashed);
    }
    return hashed;
  }

  /** A secret only argon2id can settle: its slot is taken before the hash runs. */
  private async hashed(presented: Presented, endpointUrl: string, attempt: LoginAttempt, throttle: LoginThrottle): Promise<Client> {
    const reservation = await throttle.reserve(attempt);
    if (!reservation.allowed) throw tooMany(reservation.retryAfter);
    try {
      const client = (await this.verify(presented, endpointUrl, true)) as Client;
      reservation.succeeded();
      return client;
    } catch (err) {
      // Only a refused credential counts; a busy server (503) or a malformed request refunds the slot.
      if (!(err instanceof InvalidClient)) reservation.release();
      throw err;
    }
  }

  /** With `hashing` false, answers NEEDS_HASH instead of running an argon2id verification. */
  private async verify(presented: Presented, endpointUrl: string, hashing: boolean): Promise<Client | typeof NEEDS_HASH> {
    const usedBasic = presented.method === 'client_secret_basic';
    const fail = (detail: string): never => {
      throw InvalidClient.challenge(usedBasic, detail);
    };
    const client = await this.deps.clients.find(presented.clientId);
    if (!client) return fail('unknown client');
    const outsideProfile = this.deps.fapi?.authenticationProblem(client);
    if (outsideProfile) return fail(outsideProfile.description);
    const registered = client.tokenEndpointAuthMethod;
    if (!presentedFits(presented.method, registered)) return fail(`client is registered for ${registered}`);
    switch (registered) {
      case 'none':
        return client;
      case 'client_secret_basic':
      case 'client_secret_post': {
        const now = this.deps.clock.now();
        if (!hashing) {
          const quick = async () => this.deps.hasher.quickMatch(await this.deps.store.secrets(client.clientId, now), presented.secret ?? '', now);
          let found = await quick();
          // The cached secrets may predate a rotation made by another process: ask the database once more.
          if (found !== 'match') {
            this.deps.store.forget?.(client.clientId);
            found = await quick();
          }
          if (found === 'match') return client;
          return found === 'unknown' ? NEEDS_HASH : fail('wrong client secret');
        }
        // Rows verified once are skipped on the second pass: a wrong secret costs one argon2id per live secret.
        const tried = new Set<string>();
        const check = async () => this.deps.hasher.verify(await this.deps.store.secrets(client.clientId, now), presented.secret ?? '', now, tried);
        if (await check()) return client;
        // The cached secrets may predate a rotation made by another process: ask the database once more.
        this.deps.store.forget?.(client.clientId);
        return (await check()) ? client : fail('wrong client secret');
      }
      case 'client_secret_jwt':
      case 'private_key_jwt':
        await this.verifyAssertion(client, presented.assertion ?? '', endpointUrl).catch((err: unknown) =>
          fail(`client assertion rejected: ${(err as Error).message}`),
        );
        return client;
      case 'tls_client_auth':
      case 'self_signed_tls_client_auth':
        await this.verifyCertificate(client, presented.certificate).catch((err: unknown) => fail(`client certificate rejected: ${(err as Error).message}`));
        return client;
    }
  }

  /** RFC 8705 §2 through src/mtls/: the CA chain and subject, or the client's own keys (jwks or jwks_uri). */
  private async verifyCertificate(client: Client, presented: PresentedCertificate | undefined): Promise<void> {
    if (!presented) throw new Error('no client certificate');
    if (client.tokenEndpointAuthMethod === 'tls_client_auth') {
      verifyTlsClientAuth(client, presented, this.deps.trustAnchors ?? [], this.deps.clock.now());
      return;
    }
    try {
      verifySelfSignedTlsClientAuth(presented.certificate, (await this.keyDocument(client)).keys);
    } catch (err) {
      // The client may have rotated its keys since the JWKS was cached: fetch it once more (rate-limited).
      if (!client.jwksUri) throw err;
      verifySelfSignedTlsClientAuth(presented.certificate, (await this.keyDocument(client, JWKS_REFETCH_AFTER_MS)).keys);
    }
  }

  /** Works out which single method the request uses. */
  private presented(req: ClientCredentials): Presented {
    const p = req.params;
    const basic = req.authorization?.match(/^Basic\s+(.+)$/i)?.[1];
    const found: Presented[] = [];
    if (basic !== undefined) {
      const decoded = Buffer.from(basic, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon < 0) throw InvalidClient.challenge(true, 'malformed Basic credentials');
      try {
        found.push({ method: 'client_secret_basic', clientId: formDecode(decoded.slice(0, colon)), secret: formDecode(decoded.slice(colon + 1)) });
      } catch {
        throw InvalidClient.challenge(true, 'malformed Basic credentials');
      }
    }
    if (p['client_secret'] !== undefined) {
      found.push({ method: 'client_secret_post', clientId: p['client_id'] ?? '', secret: p['client_secret'] });
    }
    if (p['client_assertion'] !== undefined || p['client_assertion_type'] !== undefined) {
      if (p['client_assertion_type'] !== JWT_BEARER_ASSERTION) throw new InvalidRequest('client_assertion_type is not supported');
      let sub: JWTPayload['sub'];
      try {
        sub = decodeJwt(p['client_assertion'] ?? '').sub;
      } catch {
        throw InvalidClient.challenge(false, 'malformed client assertion');
      }
      found.push({ method: 'jwt', clientId: sub ?? '', assertion: p['client_assertion'] ?? '' });
    }
    if (found.length > 1) throw new InvalidRequest('more than one client authentication method was used');
    const one = found[0];
    if (!one) {
      if (!p['client_id']) throw InvalidClient.challenge(false, 'no client authentication');
      if (req.certificate) return { method: 'mtls', clientId: p['client_id'], certificate: req.certificate };
      return { method: 'none', clientId: p['client_id'] };
    }
    // RFC 6749 §3.2.1 / RFC 7523 §3: a client_id parameter, when sent, must name the authenticated client.
    if (p['client_id'] !== undefined && p['client_id'] !== one.clientId) {
      throw InvalidClient.challenge(one.method === 'client_secret_basic', 'client_id does not match the credentials');
    }
    if (!one.clientId) throw InvalidClient.challenge(false, 'no client_id');
    return one;
  }

  private async verifyAssertion(client: Client, assertion: string, endpointUrl: string): Promise<void> {
    const issuer = this.deps.issuer;
    // FAPI 2.0 SP §5.3.2.1: a profile client's assertion names the issuer, as a string, and nothing else.
    const fapi = this.deps.fapi?.appliesTo(client) === true;
    const audience = fapi ? [issuer] : [...new Set([issuer, `${issuer}/oauth/token`, endpointUrl])];
    const common = { issuer: client.clientId, subject: client.clientId, audience, clockTolerance: CLOCK_SKEW, requiredClaims: ['exp', 'jti'] };
    let payload: JWTPayload;
    if (client.tokenEndpointAuthMethod === 'client_secret_jwt') {
      const secret = this.deps.clients.openSecret(client);
      if (!secret) throw new Error('client has no secret');
      const algorithms = client.tokenEndpointAuthSigningAlg ? [client.tokenEndpointAuthSigningAlg] : [...HMAC_ASSERTION_ALGS];
      ({ payload } = await jwtVerify(assertion, new TextEncoder().encode(secret), { ...common, algorithms }));
    } else {
      const algorithms = [...(this.deps.fapi?.assertionAlgs(client) ?? (client.tokenEndpointAuthSigningAlg ? [client.tokenEndpointAuthSigningAlg] : ASYMMETRIC_ASSERTION_ALGS))];
      const verify = async (maxCachedAgeMs?: number) => jwtVerify(assertion, await this.keySet(client, maxCachedAgeMs), { ...common, algorithms });
      try {
        ({ payload } = await verify());
      } catch (err) {
        // The client may have rotated its keys since the JWKS was cached: fetch it once more (rate-limited).
        if (!(err instanceof errors.JWKSNoMatchingKey) || !client.jwksUri) throw err;
        ({ payload } = await verify(JWKS_REFETCH_AFTER_MS));
      }
    }
    if (fapi && typeof payload.aud !== 'string') throw new Error('FAPI 2.0: aud must be the issuer as a string');
    const now = this.deps.clock.now();
    const exp = payload.exp as number;
    if (exp - now > MAX_ASSERTION_LIFETIME + CLOCK_SKEW) throw new Error('assertion lifetime exceeds one hour');
    // RFC 7523 §3 item 7: the jti may be used only once within its lifetime.
    const fresh = await this.deps.tokens.useAssertionJti(sha256(`${client.clientId}\n${payload.jti}`), exp + CLOCK_SKEW, now);
    if (!fresh) throw new Error('assertion jti was already used');
  }

  /** The client's keys: registered inline, or fetched from its jwks_uri through the outbound module only. */
  private async keySet(client: Client, maxCachedAgeMs?: number) {
    if (client.jwks) return createLocalJWKSet(client.jwks);
    if (!client.jwksUri) throw new Error('client has no keys');
    return this.fetchedSets.keySet(client.jwksUri, maxCachedAgeMs);
  }

  /** The client's JWK Set document: registered inline, or its jwks_uri through the outbound module (cached). */
  private async keyDocument(client: Client, maxCachedAgeMs?: number): Promise<JSONWebKeySet> {
    if (client.jwks) return client.jwks;
    if (!client.jwksUri) throw new Error('client has no keys');
    return this.fetchedSets.document(client.jwksUri, maxCachedAgeMs);
  }
}
