/**
 * Token endpoint grants (dispatched through a registry, one file per grant), introspection (RFC 7662) and
 * revocation (RFC 7009).
 */
import type { JWTPayload } from 'jose';
import type { Client } from '../clients/client.js';
import type { ClientService } from '../clients/client.service.js';
import type { Config } from '../config/schema.js';
import type { Keystore } from '../keys/keystore.service.js';
import type { JwtVerifier } from '../keys/verifier.js';
import type { AuditContext } from '../audit/audit-event.js';
import type { Clock } from '../oauth/clock.js';
import type { TrustedIssuerVerifier } from '../exchange/trusted-issuers.js';
import { InvalidClient, InvalidDpopProof, InvalidRequest, UnauthorizedClient, UnsupportedGrantType, type OAuthError } from '../oauth/errors.js';
import { sha256 } from '../oauth/hash.js';
import { grantOfJti, isOpaqueFor } from './access-token.js';
import { DEFAULT_INTROSPECTION_ALG, INTROSPECTION_JWT_TYP, introspectionJwtClaims } from './introspection-jwt.js';
import { VerifiedTokenCache } from '../keys/verified-cache.js';
import { GRANT_HANDLERS, type GrantContext, type TokenResponse } from './grants/index.js';
import type { SubjectMapper } from '../subjects/pairwise.js';
import type { GrantTokenStore, TokenStore } from './token.store.js';
import { bindingThumbprint } from '../mtls/binding.js';
import { certificateThumbprint } from '../mtls/certificate.js';
import type { PresentedCertificate } from '../mtls/mtls-auth.js';

export interface TokenServiceDeps {
  keystore: Keystore;
  verifier: JwtVerifier;
  store: TokenStore & Pick<GrantTokenStore, 'insertRefreshToken' | 'grantContext'>;
  clients: ClientService;
  clock: Clock;
  config: Config['auth'];
  accessTokenAlg: string;
  idTokenAlg: string;
  issuer: string;
  transaction: GrantContext['transaction'];
  /** False for clients whose refresh tokens are not rotated (FAPI 2.0, src/fapi/); every client rotates without it. */
  rotatesRefreshTokens?: (client: Client) => boolean;
  /** A profile's demand for sender-constrained tokens (FAPI 2.0, src/fapi/): the refusal, or undefined. */
  senderConstraintProblem?: (client: Client, constraint: { dpop: boolean; certificate: boolean }) => OAuthError | undefined;
  /** Pairwise subjects (src/subjects/); without it every client sees the local user id. */
  subjects?: SubjectMapper;
  /** server.mtls.boundAccessTokens: every token request with a client certificate gets bound tokens. */
  bindAllCertificates?: boolean;
  /** Clients whose tokens are bound to the certificate of any mTLS request (FAPI 2.0 profile clients). */
  bindsCertificates?: (client: Client) => boolean;
  /** RFC 8693 subject and actor JWTs of issuers the operator trusts (src/exchange/trusted-issuers.ts). */
  trustedIssuers?: Pick<TrustedIssuerVerifier, 'enabled' | 'verify'>;
  /** RFC 8628 device authorizations (src/device/); without them the device_code grant is unsupported. */
  devices?: GrantContext['devices'];
}

export type IntrospectionResponse = { active: false } | ({ active: true } & Record<string, unknown>);

/** The `cnf.jkt` (RFC 9449 §6) of a verified access token, if it is DPoP-bound. */
export function dpopJktOf(token: JWTPayload): string | undefined {
  const cnf = token['cnf'];
  const jkt = cnf && typeof cnf === 'object' ? (cnf as Record<string, unknown>)['jkt'] : undefined;
  return typeof jkt === 'string' ? jkt : undefined;
}

const looksLikeJwt = (token: string) => /^[\w-]+\.[\w-]+\.[\w-]+$/.test(token);

export class TokenService {
  private readonly context: GrantContext;
  private readonly deps: TokenServiceDeps;
  private readonly verified = new VerifiedTokenCache();

  constructor(deps: TokenServiceDeps) {
    this.deps = deps;
    this.context = {
      issuer: deps.issuer,
      clock: deps.clock,
      config: deps.config,
      accessTokenAlg: deps.accessTokenAlg,
      idTokenAlg: deps.idTokenAlg,
      signer: (alg) => deps.keystore.signer(alg),
      subject: (client, userId) => deps.subjects?.subjectFor(client, userId) ?? userId,
      accessTokenMinter: (client, aud, store) =>
        isOpaqueFor(client, aud, deps.config.opaqueResources)
          ? { format: 'opaque', store }
          : { format: 'jwt', signer: deps.keystore.signer(deps.accessTokenAlg) },
      tokens: deps.store,
      rotatesRefreshTokens: (client) => deps.rotatesRefreshTokens?.(client) ?? true,
      ownTokens: {
        accessToken: (token) => this.verifyAccessToken(token),
        idToken: (token) => this.verifyIdToken(token),
        trustedJwt: deps.trustedIssuers?.enabled ? (token) => deps.trustedIssuers!.verify(token) : undefined,
      },
      transaction: deps.transaction,
      devices: deps.devices,
    };
  }

  /**
   * Dispatches a token request to its grant handler, with what it proved possession of: the key of its verified
   * DPoP proof (src/dpop/) and its client certificate (src/mtls/), which the issued tokens are bound to.
   */
  async exchange(
    client: Client,
    params: Record<string, string>,
    request?: AuditContext,
    proof: { dpopJkt?: string | undefined; certificate?: PresentedCertificate | undefined } = {},
  ): Promise<TokenResponse> {
    const { dpopJkt, certificate } = proof;
    const grantType = params['grant_type'];
    // RFC 6749 §5.2: a missing required parameter is invalid_request; an unknown grant type is unsupported.
    if (grantType === undefined) throw new InvalidRequest('grant_type is required');
    const handler = GRANT_HANDLERS.get(grantType);
    if (!handler) throw new UnsupportedGrantType(`grant_type ${grantType} is not supported`);
    if (!client.grantTypes.includes(handler.grantType)) {
      throw new UnauthorizedClient(`the client is not allowed the ${grantType} grant`);
    }
    // RFC 9449 §5.2: a client registered with dpop_bound_access_tokens never gets a bearer token.
    if (client.dpopBoundAccessTokens && !dpopJkt) throw new InvalidDpopProof('this client must send a DPoP proof');
    // A profile may demand sender-constrained tokens (FAPI 2.0 SP §5.3.2.1: DPoP or mTLS, src/fapi/).
    const unconstrained = this.deps.senderConstraintProblem?.(client, { dpop: dpopJkt !== undefined, certificate: certificate !== undefined });
    if (unconstrained) throw unconstrained;
    // A profile that demands sender-constrained tokens (FAPI 2.0) binds them to any certificate presented.
    const bindTo = bindingThumbprint(client, certificate, this.deps.bindAllCertificates === true || this.deps.bindsCertificates?.(client) === true);
    const binding = certificate ? { bindTo, presented: certificateThumbprint(certificate.certificate) } : undefined;
    return handler.handle(this.context, client, params, request, { dpopJkt, certificate: binding });
  }

  /**
   * Verifies one of our access tokens, JWT or opaque; undefined when it is not valid now. An opaque token
   * answers with the claims its JWT would have carried, so introspection, userinfo and the admin API treat both
   * alike.
   */
  async verifyAccessToken(token: string): Promise<JWTPayload | undefined> {
    if (!looksLikeJwt(token)) return this.verifyOpaqueAccessToken(token);
    const now = this.deps.clock.now();
    let payload = this.verified.get(token, now);
    if (!payload) {
      try {
        payload = await this.deps.verifier.verify(token, {
          issuer: this.context.issuer,
          typ: 'at+jwt',
          currentDate: new Date(now * 1000),
          requiredClaims: ['exp', 'iat', 'jti', 'sub'],
        });
      } catch {
        return undefined;
      }
      this.verified.set(token, payload);
    }
    if (await this.deps.store.isAccessTokenRevoked(payload.jti as string, grantOfJti(payload.jti as string))) return undefined;
    // A deleted client's tokens die with it.
    if (typeof payload['client_id'] !== 'string' || !(await this.deps.clients.find(payload['client_id']))) return undefined;
    return payload;
  }

  /** An ID token this server signed, not expired (RFC 8693 subject/actor token of type id_token). */
  private async verifyIdToken(token: string): Promise<JWTPayload | undefined> {
    if (!looksLikeJwt(token)) return undefined;
    try {
      return await this.deps.verifier.verify(token, {
        issuer: this.context.issuer,
        currentDate: new Date(this.deps.clock.now() * 1000),
        requiredClaims: ['exp', 'iat', 'sub', 'aud'],
      });
    } catch {
      return undefined;
    }
  }

  /** Issue 13: one indexed lookup by hash; never cached, so a revocation anywhere holds at once. */
  private async verifyOpaqueAccessToken(token: string): Promise<JWTPayload | undefined> {
    // Every opaque token is 43 base64url characters (256 bits); anything else is not worth a query.
    if (!/^[\w-]{43}$/.test(token)) return undefined;
    const row = await this.deps.store.findOpaqueAccessToken(sha256(token));
    if (!row || row.grantRevoked || row.expiresAt <= this.deps.clock.now()) return undefined;
    if (!(await this.deps.clients.find(row.clientId))) return undefined;
    const payload: JWTPayload = {
      iss: this.context.issuer,
      sub: row.sub,
      aud: row.aud,
      exp: row.expiresAt,
      iat: row.issuedAt,
      jti: row.jti,
      client_id: row.clientId,
    };
    if (row.scope) payload['scope'] = row.scope;
    if (row.authTime !== null) payload['auth_time'] = row.authTime;
    if (row.cnf) payload['cnf'] = row.cnf;
    return payload;
  }

  /**
   * The local user and the `claims` request parameter (JSON, null when none) of the grant a verified user
   * access token came from. The token's `sub` is the client's view (pairwise or public); the grant knows whom
   * it is about.
   */
  async grantOf(accessToken: JWTPayload): Promise<{ userId: string | null; claims: string | null } | undefined> {
    const grantId = typeof accessToken.jti === 'string' ? grantOfJti(accessToken.jti) : undefined;
    return grantId ? this.deps.store.grantRelease(grantId) : undefined;
  }

  /** The local user id behind a verified user access token (its `sub` unless the client is pairwise). */
  async userIdOf(accessToken: JWTPayload): Promise<string | undefined> {
    const client = await this.deps.clients.find(String(accessToken['client_id']));
    if (client?.subjectType !== 'pairwise') return accessToken.sub;
    return (await this.grantOf(accessToken))?.userId ?? undefined;
  }

  /**
   * RFC 7662. Who may introspect what (docs/SECURITY.md): a client may introspect the tokens issued to it, and
   * a resource server client may introspect access tokens whose audience is one of its registered resources.
   */
  async introspect(client: Client, token: string): Promise<IntrospectionResponse> {
    // RFC 7662 §2.1: the caller must be authorized; a public client proves nothing, so it may not introspect.
    if (client.clientType === 'public') throw InvalidClient.challenge(false, 'public clients cannot introspect');
    const inactive = { active: false } as const;
    const at = await this.verifyAccessToken(token);
    if (at) {
      const aud = Array.isArray(at.aud) ? at.aud : at.aud ? [at.aud] : [];
      if (at['client_id'] !== client.clientId && !aud.some((a) => client.resources.includes(a))) return inactive;
      return {
        active: true,
        scope: at['scope'] ?? '',
        client_id: at['client_id'],
        sub: at.sub,
        exp: at.exp,
        iat: at.iat,
        iss: at.iss,
        aud: at.aud,
        jti: at.jti,
        ...(at['cnf'] ? { cnf: at['cnf'] } : {}),
        // RFC 9449 §6.2: a bound token is introspected as a DPoP token with its cnf.jkt.
        token_type: dpopJktOf(at) ? 'DPoP' : 'Bearer',
      };
    }
    const rt = await this.deps.store.findRefreshToken(sha256(token));
    const now = this.deps.clock.now();
    if (!rt || rt.clientId !== client.clientId || rt.revokedAt !== null || rt.usedAt !== null || rt.expiresAt <= now) {
      return inactive;
    }
    return {
      active: true,
      scope: rt.scope,
      client_id: rt.clientId,
      ...(rt.userId ? { sub: this.context.subject(client, rt.userId) } : {}),
      exp: rt.expiresAt,
      iat: rt.createdAt,
      iss: this.context.issuer,
      token_type: 'refresh_token',
    };
  }

  /** RFC 9701: the introspection response as a JWT signed for the calling client. */
  async introspectJwt(client: Client, token: string): Promise<string> {
    const response = await this.introspect(client, token);
    const claims = introspectionJwtClaims(this.context.issuer, client, this.deps.clock.now(), response);
    return this.deps.keystore.signer(client.introspectionSignedResponseAlg ?? DEFAULT_INTROSPECTION_ALG).sign(claims, INTROSPECTION_JWT_TYP);
  }

  /**
   * RFC 7009. An unknown or invalid token is not an error (§2.2); a token of another client is refused (§2.1).
   * A refresh token revokes its whole grant; a JWT access token goes on the denylist until it expires; an
   * opaque access token's row is deleted.
   */
  async revoke(client: Client, token: string): Promise<void> {
    const now = this.deps.clock.now();
    const at = await this.verifyAccessToken(token);
    if (at) {
      if (at['client_id'] !== client.clientId) throw new UnauthorizedClient('the token was not issued to this client');
      if (looksLikeJwt(token)) await this.deps.store.denyAccessToken(at.jti as string, at.exp as number);
      else await this.deps.store.deleteOpaqueAccessToken(sha256(token));
      return;
    }
    const rt = await this.deps.store.findRefreshToken(sha256(token));
    if (!rt) return;
    if (rt.clientId !== client.clientId) throw new UnauthorizedClient('the token was not issued to this client');
    await this.deps.store.revokeGrant(rt.grantId, now);
  }
}
