/**
 * The configuration schema: its types, defaults and documentation in one place (config.yaml mirrors it).
 * Durations accept seconds (`3600`) or `s`/`m`/`h`/`d` strings (`1h`); load.ts normalises them to seconds.
 */
import { Type, type Static } from '@sinclair/typebox';

const Duration = Type.Union([Type.Integer({ minimum: 0 }), Type.String()]);
const Alg = Type.Union([Type.Literal('RS256'), Type.Literal('PS256'), Type.Literal('ES256'), Type.Literal('ES384'), Type.Literal('EdDSA')]);
/** Every algorithm the server signs with by default (issue 14): each gets an active and a next key. */
export const SIGNING_ALGS = ['RS256', 'PS256', 'ES256', 'ES384', 'EdDSA'] as const;

/** A trusted token-exchange issuer (src/exchange/trusted-issuers.ts), defaults applied. */
export interface TrustedIssuerConfig {
  /** The `iss` its tokens carry, exactly. */
  issuer: string;
  jwksUri: string;
  /** Clients that may present its tokens as subject or actor tokens. */
  clients: string[];
  /** The most its tokens may carry (the token's own `scope` is cut to these). */
  scopes: string[];
  /** `user_identities.provider` through which its subjects map to local users. */
  provider: string;
  /** The `aud` its tokens must name: this server's issuer unless set. */
  audience: string;
}

export const ConfigSchema = Type.Object(
  {
    server: Type.Object(
      {
        host: Type.String({ default: '127.0.0.1', description: 'interface to listen on' }),
        port: Type.Integer({ minimum: 0, maximum: 65535, default: 9000, description: 'the port to listen on (0 = any free port); the default issuer follows it' }),
        issuer: Type.String({ default: '', description: 'public base URL; exact `iss` value (default: http://localhost:<server.port>)' }),
        trustProxy: Type.Union([Type.Boolean(), Type.String(), Type.Integer()], {
          default: false,
          description: 'Fastify trustProxy: false, true, a hop count or a list of addresses',
        }),
        logLevel: Type.String({ default: 'info', description: 'pino level: fatal, error, warn, info, debug, trace (access logs only at debug)' }),
        bodyLimit: Type.Integer({ minimum: 1024, default: 65536, description: 'max request body in bytes' }),
        // Slow-client limits (docs/SECURITY.md, "Connections"), in seconds.
        headersTimeout: Type.Number({ minimum: 0.1, default: 10, description: 'seconds to receive the request headers' }),
        requestTimeout: Type.Number({ minimum: 0.1, default: 30, description: 'seconds to receive the whole request (headers and body)' }),
        keepAliveTimeout: Type.Number({ minimum: 0.1, default: 5, description: 'seconds an idle keep-alive connection stays open' }),
        maxConnectionsPerIp: Type.Integer({ minimum: 1, default: 256, description: 'concurrent connections per client address' }),
        shutdownTimeout: Type.Number({ minimum: 0, default: 10, description: 'seconds in-flight requests get to finish on SIGTERM' }),
        metrics: Type.Object(
          {
            allowFrom: Type.Array(Type.String(), {
              default: ['loopback'],
              description: '/metrics is answered only to these socket addresses or CIDRs (`loopback` = 127.0.0.0/8 and ::1), unless bearerToken is set',
            }),
            bearerToken: Type.String({
              default: '',
              description: 'when set, a scrape must send `Authorization: Bearer <token>` (from any address; allowFrom then no longer applies)',
            }),
            port: Type.Integer({
              minimum: 0,
              maximum: 65535,
              default: 0,
              description: 'when not 0, /metrics is served only on a listener of its own at host:port, and no longer on the main listener',
            }),
            host: Type.String({ default: '127.0.0.1', description: 'the address of the metrics listener (with port)' }),
          },
          { default: {}, additionalProperties: false },
        ),
        tls: Type.Object(
          {
            certFile: Type.String({
              default: '',
              description: 'PEM server certificate (chain); when set Gatehouse terminates TLS itself and the default issuer is https (paths are relative to this file)',
            }),
            keyFile: Type.String({ default: '', description: 'PEM private key of certFile' }),
            clientCaFile: Type.String({
              default: '',
              description: 'PEM bundle of the CAs client certificates for tls_client_auth must chain to (RFC 8705 §2.1); also hinted in the TLS handshake',
            }),
          },
          { default: {}, additionalProperties: false },
        ),
        mtls: Type.Object(
          {
            certificateHeader: Type.String({
              default: '',
              description: 'reverse-proxy mode: the request header carrying the client certificate (e.g. x-client-cert); honoured only from server.trustProxy addresses, ignored from anyone else',
            }),
            certificateHeaderEncoding: Type.Union([Type.Literal('urlencoded-pem'), Type.Literal('pem'), Type.Literal('base64-der')], {
              default: 'urlencoded-pem',
              description: 'how the header encodes the certificate: urlencoded-pem (nginx $ssl_client_escaped_cert), pem, or base64-der',
            }),
            clientCaFile: Type.String({ default: '', description: 'CA bundle for tls_client_auth in reverse-proxy mode (default: server.tls.clientCaFile)' }),
            endpointBaseUrl: Type.String({
              default: '',
              description: 'when mTLS is served on another base URL than the issuer, discovery advertises mtls_endpoint_aliases under it (RFC 8705 §5)',
            }),
            boundAccessTokens: Type.Boolean({
              default: false,
              description: 'bind the access tokens of every token request made with a client certificate (cnf x5t#S256), not only of clients registered with tls_client_certificate_bound_access_tokens',
            }),
          },
          { default: {}, additionalProperties: false },
        ),
        openapi: Type.Object(
          {
            enabled: Type.Boolean({
              default: true,
              description: 'serve the OpenAPI 3.1 document of every endpoint at /openapi.json (generated from the route schemas; it describes the public protocol and holds no secrets)',
            }),
            ui: Type.Boolean({ default: true, description: 'serve a rendered page of the document at /docs (Swagger UI, assets served by this server, no CDN); needs enabled' }),
            strict: Type.Boolean({
              default: false,
              description: 'a document that cannot be generated fails startup; otherwise the failure is logged and /openapi.json answers 503 (CI=true in the environment is strict too)',
            }),
          },
          { default: {}, additionalProperties: false },
        ),
      },
      { default: {}, additionalProperties: false },
    ),
    database: Type.Object(
      {
        url: Type.String({ default: 'sqlite:./data/gatehouse.db', description: 'sqlite:PATH or postgres://user:password@host:port/database' }),
        poolSize: Type.Integer({ minimum: 1, maximum: 200, default: 10, description: 'PostgreSQL connections per process' }),
        schema: Type.Optional(Type.String({ pattern: '^[a-z_][a-z0-9_]*$', description: 'PostgreSQL schema' })),
      },
      { default: {}, additionalProperties: false },
    ),
    auth: Type.Object(
      {
        sessionSecret: Type.String({ default: '', description: 'signs browser cookies; at least 32 characters' }),
        codeExpiry: Type.Union([Duration], { default: 60, description: 'authorization code lifetime (seconds or 30s, 10m, 1h, 30d)' }),
        accessTokenExpiry: Type.Union([Duration], { default: 3600, description: 'access token lifetime' }),
        idTokenExpiry: Type.Union([Duration], { default: 3600, description: 'ID token lifetime' }),
        refreshTokenExpiry: Type.Union([Duration], { default: '30d', description: 'refresh token (and grant) lifetime' }),
        refreshTokenReuseInterval: Type.Union([Duration], {
          default: 0,
          description: 'after a rotation, the same client may use the old refresh token again this long without revoking the family (0 = strict)',
        }),
        sessionLifetime: Type.Union([Duration], { default: '14d', description: 'absolute lifetime of a browser session' }),
        sessionIdleTimeout: Type.Union([Duration], { default: '1d', description: 'a session unused this long ends' }),
        interactionExpiry: Type.Union([Duration], { default: '10m', description: 'time to finish login and consent' }),
        passwordHashConcurrency: Type.Integer({
          minimum: 1,
          maximum: 64,
          default: 1,
          description: 'argon2id verifications run at once per process (each holds 19 MiB); raise on many-core hosts',
        }),
        loginRateLimit: Type.Object(
          {
            perAccountAndIp: Type.Integer({ minimum: 1, default: 5, description: 'failed logins per account from one IP per window' }),
            perAccount: Type.Integer({
              minimum: 1,
              default: 50,
              description: 'failed logins per account from unknown IPs per window, then exponential back-off',
            }),
            perIp: Type.Integer({ minimum: 1, default: 20, description: 'failed logins per client IP per window' }),
            window: Type.Union([Duration], { default: '15m', description: 'the window every counter of this limit covers' }),
            maxBackoff: Type.Union([Duration], { default: '15m', description: 'longest account-wide back-off' }),
            knownAddressLifetime: Type.Union([Duration], {
              default: '30d',
              description: 'an IP that signed in to an account is exempt from its account-wide limit this long',
            }),
          },
          { default: {}, additionalProperties: false },
        ),
        clientAuthRateLimit: Type.Object(
          {
            perClientAndIp: Type.Integer({ minimum: 1, default: 10, description: 'failed client authentications per client_id from one IP per window' }),
            perClient: Type.Integer({ minimum: 1, default: 100, description: 'failed authentications per client_id from addresses it never authenticated from' }),
            perIp: Type.Integer({ minimum: 1, default: 30, description: 'failed client authentications per IP per window' }),
            window: Type.Union([Duration], { default: '15m', description: 'the window every counter of this limit covers' }),
            knownAddressLifetime: Type.Union([Duration], {
              default: '30d',
              description: 'an IP a client authenticated from is exempt from its per-client limit this long',
            }),
          },
          { default: {}, additionalProperties: false },
        ),
        defaultAudience: Type.Optional(Type.String({ description: 'aud of access tokens without `resource`' })),
        resources: Type.Array(Type.String(), {
          default: [],
          description: 'RFC 8707 resource indicators clients may request (absolute URIs)',
        }),
        opaqueResources: Type.Array(Type.String(), {
          default: [],
          description:
            'audiences (entries of auth.resources, or the default audience) that get opaque access tokens whatever the client\'s access_token_format',
        }),
        par: Type.Object(
          {
            lifetime: Type.Union([Duration], { default: 60, description: 'how long a pushed request_uri may be used (RFC 9126; seconds or 30s, 10m)' }),
            required: Type.Boolean({ default: false, description: 'every authorization request must be pushed (require_pushed_authorization_requests)' }),
          },
          { default: {}, additionalProperties: false },
        ),
        device: Type.Object(
          {
            enabled: Type.Boolean({
              default: true,
              description:
                'the Device Authorization Grant (RFC 8628): /oauth/device_authorization, the /device page and the device_code grant for clients registered with it; advertised in discovery',
            }),
            lifetime: Type.Union([Duration], { default: 600, description: 'how long a device code and its user code stay usable (expires_in; seconds or 10m)' }),
            interval: Type.Union([Duration], { default: 5, description: 'the seconds a device waits between polls at first (interval); each slow_down adds 5' }),
            userCodeRateLimit: Type.Object(
              {
                perIp: Type.Integer({ minimum: 1, default: 10, description: 'user codes one IP may enter at /device per window (wrong ones; a right one is refunded)' }),
                window: Type.Union([Duration], { default: '15m', description: 'the window of that limit' }),
              },
              { default: {}, additionalProperties: false },
            ),
          },
          { default: {}, additionalProperties: false },
        ),
        fapi2: Type.Object(
          {
            everyClient: Type.Boolean({
              default: false,
              description:
                'put every client under the FAPI 2.0 Security Profile (otherwise only clients registered with fapi_profile: fapi2_security_profile)',
            }),
            rotateRefreshTokens: Type.Boolean({
              default: false,
              description: 'rotate the refresh tokens of FAPI 2.0 clients anyway (the profile allows rotation only in extraordinary circumstances)',
            }),
          },
          { default: {}, additionalProperties: false },
        ),
        dpop: Type.Object(
          {
            enabled: Type.Boolean({ default: true, description: 'accept DPoP proofs (RFC 9449) and issue DPoP-bound tokens; advertised in discovery' }),
            requireNonce: Type.Boolean({
              default: false,
              description: 'refuse proofs without a current server nonce (use_dpop_nonce); nonces are sent on every DPoP response either way',
            }),
            nonceWindow: Type.Union([Duration], {
              default: 300,
              description: 'a nonce is derived from the window it was minted in; the current and previous window are accepted (at most 5m)',
            }),
            proofMaxAge: Type.Union([Duration], { default: 60, description: 'a proof\'s iat may be this far in the past or future' }),
            replayCacheSize: Type.Integer({ minimum: 100, default: 100000, description: 'proof jtis each node remembers in memory (the database or Redis remembers every one)' }),
          },
          { default: {}, additionalProperties: false },
        ),
        tokenExchange: Type.Object(
          {
            trustedIssuers: Type.Array(
              Type.Object(
                {
                  issuer: Type.String({ minLength: 1, description: 'the exact `iss` of the issuer\'s JWTs' }),
                  jwksUri: Type.String({ minLength: 1, description: 'https URL of its JWK Set (fetched through the outbound rules)' }),
                  clients: Type.Array(Type.String({ minLength: 1 }), { minItems: 1, description: 'client_ids that may present its tokens' }),
                  scopes: Type.Array(Type.String(), { default: [], description: 'the most its tokens may carry into an exchange' }),
                  provider: Type.Optional(
                    Type.String({ minLength: 1, description: 'user_identities provider its subjects are linked through (default: the issuer)' }),
                  ),
                  audience: Type.Optional(Type.String({ minLength: 1, description: 'the `aud` its tokens must name (default: this server\'s issuer)' })),
                },
                { additionalProperties: false },
              ),
              {
                default: [],
                description:
                  'RFC 8693 subject and actor tokens of type urn:ietf:params:oauth:token-type:jwt are accepted from these issuers only; a subject must be linked to a local account',
              },
            ),
          },
          { default: {}, additionalProperties: false },
        ),
      },
      { default: {}, additionalProperties: false },
    ),
    security: Type.Object(
      {
        encryptionKey: Type.String({ default: '', description: 'base64 of 32 bytes; AES-256-GCM key for secrets' }),
        jwtPrivateKeyPath: Type.Optional(Type.String({ description: 'a PEM private key imported as the first signing key (otherwise keys are generated)' })),
        jwtPublicKeyPath: Type.Optional(Type.String({ description: 'its PEM public key, checked against the private key' })),
        jwksKid: Type.Optional(Type.String({ description: 'the kid of that imported key (default: its JWK thumbprint)' })),
        accessTokenAlg: Type.Union([Alg], { default: 'RS256', description: 'the alg of JWT access tokens' }),
        idTokenAlg: Type.Union([Alg], { default: 'RS256', description: 'the default alg of ID tokens (a client may register another)' }),
        signingAlgs: Type.Array(Alg, {
          default: [...SIGNING_ALGS],
          minItems: 1,
          description: 'algorithms with keys that clients may choose for ID tokens, userinfo, introspection and JARM responses (RS256 is always kept)',
        }),
        rsaModulusLength: Type.Integer({ default: 2048, minimum: 2048, description: 'bits of generated RSA keys' }),
        keyRefreshInterval: Type.Union([Duration], { default: 30, description: 'how often keys are re-read' }),
        keyRotation: Type.Object(
          {
            interval: Type.Union([Duration], {
              default: 0,
              description: 'rotate the signing keys this often (e.g. 30d; 0 = only by `gatehouse keys rotate`); a next key always waits out the JWKS cache lifetime first',
            }),
            algs: Type.Array(Alg, { default: [], description: 'the algs rotated on schedule (default: every signing alg)' }),
          },
          { default: {}, additionalProperties: false },
        ),
        clientSecretHashConcurrency: Type.Integer({
          minimum: 1,
          maximum: 64,
          default: 1,
          description: 'argon2id client-secret verifications run at once per process (a pool apart from passwords)',
        }),
        hashQueueLength: Type.Integer({
          minimum: 0,
          maximum: 10_000,
          default: 32,
          description: 'argon2id verifications that may wait per pool; more get 503 + Retry-After',
        }),
      },
      { default: {}, additionalProperties: false },
    ),
    redis: Type.Object(
      {
        url: Type.String({ default: '', description: 'redis://host:6379: limits and replay caches shared by every node (optional)' }),
        keyPrefix: Type.String({ default: 'gatehouse:', description: 'prefix of every key Gatehouse writes' }),
      },
      { default: {}, additionalProperties: false },
    ),
    outbound: Type.Object(
      {
        allowInsecureLoopback: Type.Boolean({
          default: false,
          description: 'development only: let fetched URLs (jwks_uri…) reach loopback addresses, over http too',
        }),
        allowPrivateNetworks: Type.Array(Type.String(), {
          default: [],
          description: 'CIDRs besides public addresses that fetched URLs may reach (e.g. 10.20.0.0/16); default none',
        }),
        connectTimeoutMs: Type.Integer({ minimum: 100, maximum: 60000, default: 3000, description: 'milliseconds to connect to a fetched URL' }),
        timeoutMs: Type.Integer({ minimum: 100, maximum: 60000, default: 5000, description: 'whole request, body included' }),
        maxResponseBytes: Type.Integer({ minimum: 1024, maximum: 10485760, default: 262144, description: 'largest response body read from a fetched URL' }),
      },
      { default: {}, additionalProperties: false },
    ),
    registration: Type.Object(
      {
        enabled: Type.Boolean({ default: true, description: 'serve /oauth/register (RFC 7591) and the client configuration endpoint (RFC 7592)' }),
        open: Type.Boolean({ default: false, description: 'allow registration without an initial access token' }),
        initialAccessTokens: Type.Array(Type.String(), { default: [], description: 'initial access tokens accepted besides those made by `gatehouse registration-tokens create`' }),
        allowedScopes: Type.Array(Type.String({ pattern: '^[\\x21\\x23-\\x5b\\x5d-\\x7e]+$' }), {
          default: ['openid', 'profile', 'email', 'offline_access'],
          description: 'the only scopes a self-registered client may hold (never an operator scope); also its default',
        }),
      },
      { default: {}, additionalProperties: false },
    ),
    signup: Type.Object(
      {
        enabled: Type.Boolean({
          default: false,
          description: 'self-service sign-up (prompt=create, Initiating User Registration via OpenID Connect 1.0); off: prompt=create is ignored',
        }),
      },
      { default: {}, additionalProperties: false },
    ),
    audit: Type.Object(
      {
        retention: Type.Union([Duration], {
          default: '90d',
          description: 'how long audit events are kept; older ones go with the periodic cleanup (0 keeps them forever)',
        }),
      },
      { default: {}, additionalProperties: false },
    ),
    seeder: Type.Object(
      {
        superadmin: Type.Object(
          {
            email: Type.String({ default: 'admin@example.com', description: 'the first superadmin, created by the seed' }),
            firstName: Type.String({ default: 'Admin', description: 'their given name' }),
            lastName: Type.String({ default: 'User', description: 'their family name' }),
            password: Type.Optional(Type.String({ description: 'their password (default: generated and shown once)' })),
          },
          { default: {}, additionalProperties: false },
        ),
        defaultOAuthClient: Type.Object(
          {
            name: Type.String({ default: 'Gatehouse Dashboard', description: 'the default public client seeded for a dashboard' }),
            clientId: Type.String({ default: '00000000-0000-4000-8000-000000000001', description: 'its client_id' }),
            redirectUris: Type.Array(Type.String(), { default: ['http://localhost:9000/dashboard/callback'], description: 'its redirect URIs' }),
            pkceRequired: Type.Boolean({ default: true, description: 'whether it must use PKCE' }),
          },
          { default: {}, additionalProperties: false },
        ),
        demoClient: Type.Object(
          {
            enabled: Type.Boolean({ default: true, description: 'seed the demo confidential client (turn off in production)' }),
            name: Type.String({ default: 'Demo confidential client', description: 'its client_name' }),
            clientId: Type.String({ default: 'demo-client', description: 'its client_id' }),
            clientSecret: Type.Optional(Type.String({ description: 'its secret (default: generated and shown once)' })),
            redirectUris: Type.Array(Type.String(), { default: ['http://localhost:8080/callback'], description: 'its redirect URIs' }),
            postLogoutRedirectUris: Type.Array(Type.String(), { default: ['http://localhost:8080/bye'], description: 'its post-logout redirect URIs' }),
            scopes: Type.Array(Type.String(), { default: ['openid', 'profile', 'email', 'offline_access', 'api:read'], description: 'the scopes it may request' }),
            /** Resource indicators the demo client may ask for; every `auth.resources` entry when absent. */
            resources: Type.Optional(Type.Array(Type.String(), { description: 'resource indicators it may ask for (default: every auth.resources entry)' })),
          },
          { default: {}, additionalProperties: false },
        ),
        oauthProviders: Type.Record(
          Type.String(),
          Type.Object({
            clientId: Type.String({ default: '' }),
            clientSecret: Type.String({ default: '' }),
            redirectUrl: Type.String({ default: '' }),
            scopes: Type.Array(Type.String(), { default: [] }),
            enabled: Type.Boolean({ default: false }),
          }, { additionalProperties: false }),
          {
            default: {},
            additionalProperties: false,
            description: 'upstream sign-in providers by name (google, github, …): clientId, clientSecret, redirectUrl, scopes, enabled',
          },
        ),
      },
      { default: {}, additionalProperties: false },
    ),
  },
  { default: {}, additionalProperties: false },
);

export type RawConfig = Static<typeof ConfigSchema>;
export type SigningAlg = Static<typeof Alg>;

/** The validated, normalised configuration every part of the server receives a slice of. */
export interface Config {
  readonly server: {
    host: string;
    port: number;
    issuer: string;
    trustProxy: boolean | string | number;
    logLevel: string;
    bodyLimit: number;
    headersTimeout: number;
    requestTimeout: number;
    keepAliveTimeout: number;
    maxConnectionsPerIp: number;
    shutdownTimeout: number;
    metrics: { allowFrom: string[]; bearerToken: string; port: number; host: string };
    openapi: { enabled: boolean; ui: boolean; strict: boolean };
    /** Paths resolved against the config file's directory; empty = off. */
    tls: { certFile: string; keyFile: string; clientCaFile: string };
    /** RFC 8705 (src/mtls/); clientCaFile resolved, falling back to tls.clientCaFile. */
    mtls: RawConfig['server']['mtls'];
  };
  readonly database: { url: string; poolSize: number; schema?: string | undefined };
  readonly auth: {
    sessionSecret: string;
    codeExpiry: number;
    accessTokenExpiry: number;
    idTokenExpiry: number;
    refreshTokenExpiry: number;
    refreshTokenReuseInterval: number;
    sessionLifetime: number;
    sessionIdleTimeout: number;
    interactionExpiry: number;
    passwordHashConcurrency: number;
    loginRateLimit: {
      perAccountAndIp: number;
      perAccount: number;
      perIp: number;
      window: number;
      maxBackoff: number;
      knownAddressLifetime: number;
    };
    /** Client authentication failures, in the sign-in throttle's shape (account = client_id). */
    clientAuthRateLimit: {
      perAccountAndIp: number;
      perAccount: number;
      perIp: number;
      window: number;
      maxBackoff: number;
      knownAddressLifetime: number;
    };
    defaultAudience: string;
    resources: string[];
    /** Issue 13: audiences whose access tokens are opaque for every client. */
    opaqueResources: string[];
    /** RFC 9126 (src/par/). */
    par: { lifetime: number; required: boolean };
    /** RFC 8628 (src/device/): durations in seconds. */
    device: { enabled: boolean; lifetime: number; interval: number; userCodeRateLimit: { perIp: number; window: number } };
    /** Issue 11: the FAPI 2.0 Security Profile (src/fapi/). */
    fapi2: { everyClient: boolean; rotateRefreshTokens: boolean };
    /** RFC 9449 (src/dpop/): windows in seconds. */
    dpop: { enabled: boolean; requireNonce: boolean; nonceWindow: number; proofMaxAge: number; replayCacheSize: number };
    /** RFC 8693 (src/exchange/): provider and audience filled in. */
    tokenExchange: { trustedIssuers: TrustedIssuerConfig[] };
  };
  readonly security: {
    encryptionKey: Buffer;
    jwtPrivateKeyPath?: string | undefined;
    jwtPublicKeyPath?: string | undefined;
    jwksKid?: string | undefined;
    accessTokenAlg: SigningAlg;
    idTokenAlg: SigningAlg;
    signingAlgs: SigningAlg[];
    rsaModulusLength: number;
    keyRefreshInterval: number;
    /** Scheduled rotation (keys/key-rotation.schedule.ts): interval 0 = off; algs empty = every signing alg. */
    keyRotation: { interval: number; algs: SigningAlg[] };
    clientSecretHashConcurrency: number;
    hashQueueLength: number;
  };
  readonly registration: { enabled: boolean; open: boolean; initialAccessTokens: string[]; allowedScopes: string[] };
  readonly audit: { retention: number };
  readonly signup: { enabled: boolean };
  /** URLs the server fetches on others' behalf (src/outbound/). */
  readonly outbound: RawConfig['outbound'];
  /** Optional shared store for limits and replay caches (src/limits/). */
  readonly redis: RawConfig['redis'];
  readonly seeder: RawConfig['seeder'];
  /** Where the config was read from, for messages. */
  readonly source: string;
  /** Secrets generated for a local development database (see dev-secrets.ts); printed warnings only. */
  readonly devSecrets: boolean;
}
