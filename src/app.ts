/**
 * The composition root: the only file that knows storage, domains and HTTP together. `createContainer` wires
 * the services for a config; `buildApp` puts the HTTP shell on top. The CLI, `serve` and tests all use these.
 */
import type { FastifyInstance } from 'fastify';
import type { Config } from './config/schema.js';
import { ConfigError, isSqliteUrl } from './config/load.js';
import { SecretHasher } from './clients/client-secret.js';
import { ClientService } from './clients/client.service.js';
import { ClientAuthenticator } from './clients/client-auth.js';
import { clientCaBundle, mtlsEnabled } from './mtls/mtls-config.js';
import { cachedClientStore } from './clients/cached-client.store.js';
import { authorizationServerMetadata, openidConfiguration, type DiscoveryInput } from './discovery/metadata.js';
import { initialKey } from './keys/initial-key.js';
import { createJarmEncoder } from './jarm/jarm.js';
import { JWKS_MAX_AGE_SECONDS, Keystore, type SigningAlg } from './keys/keystore.service.js';
import { JwtVerifier } from './keys/verifier.js';
import { systemClock, type Clock } from './oauth/clock.js';
import { BoundedQueue } from './oauth/bounded-queue.js';
import { createSecretBox, type SecretBox } from './oauth/secret-box.js';
import { seed, type SeedResult } from './seed/seeder.js';
import { openDatabase, type Db } from './storage/db.js';
import { isMigrated, migrateUp } from './storage/migrator.js';
import { eachInOwnTransaction, groupCommit } from './storage/group-commit.js';
import { createDecisionStores, createGrantStores, createStores, unitOfWork, type Stores } from './storage/stores.js';
import { TokenService } from './token/token.service.js';
import { AccountService } from './accounts/account.service.js';
import { MemoryLoginThrottle } from './accounts/login-rate-limiter.js';
import { SignupService } from './signup/signup.service.js';
import type { LoginThrottle } from './accounts/login-throttle.js';
import { AuthorizeService } from './authorize/authorize.service.js';
import { InteractionSealer } from './authorize/interaction.js';
import { ConsentService } from './grants/consent.service.js';
import { SessionService } from './sessions/session.service.js';
import { LogoutService } from './sessions/logout.service.js';
import { UserinfoService } from './userinfo/userinfo.service.js';
import { AuditService } from './audit/audit.service.js';
import { buildServer, type ServerOptions } from './http/server.js';
import { ProjectService } from './projects/project.service.js';
import { ProjectClients } from './projects/project-clients.service.js';
import { OperatorScopeGate } from './projects/operator-scopes.js';
import { ScopeRegistry } from './scopes/scope.service.js';
import { cachedScopeStore } from './scopes/cached-scope.store.js';
import { createOutboundFetcher } from './outbound/outbound-fetch.js';
import { TrustedIssuerVerifier } from './exchange/trusted-issuers.js';
import { connectSharedStore, type SharedStore } from './limits/shared-store.js';
import { SharedThrottle } from './limits/shared-throttle.js';
import { RegistrationAccess } from './clients/registration-access.js';
import { KeyRotationSchedule } from './keys/key-rotation.schedule.js';
import { SharedReplayGuard } from './limits/shared-replay.js';
import { RequestObjectVerifier } from './request-object/request-object.js';
import { BackchannelDelivery } from './logout/backchannel-delivery.js';
import { LogoutFanout } from './logout/logout-fanout.service.js';
import { SubjectMapper } from './subjects/pairwise.js';
import { Fapi2Profile } from './fapi/fapi2-profile.js';
import { PushedAuthorizationService } from './par/par.service.js';
import { DpopService } from './dpop/dpop.service.js';
import { DpopNonces } from './dpop/nonce.js';
import { DPOP_ALGS } from './dpop/proof.js';
import { kyselyDpopJtiStore } from './storage/kysely/dpop-jti.kysely.js';
import { DeviceAuthorizationService } from './device/device.service.js';

export const OPERATOR_SCOPES = ['admin'];
export const BUILTIN_SCOPES = ['openid', 'profile', 'email', 'address', 'phone', 'offline_access', 'admin'];

export interface Container {
  config: Config;
  db: Db;
  stores: Stores;
  clock: Clock;
  box: SecretBox;
  keystore: Keystore;
  /** Scheduled rotation (security.keyRotation); `serve` starts it. */
  keyRotation: KeyRotationSchedule;
  verifier: JwtVerifier;
  clients: ClientService;
  clientAuth: ClientAuthenticator;
  registrationAccess: RegistrationAccess;
  tokens: TokenService;
  accounts: AccountService;
  sessions: SessionService;
  consents: ConsentService;
  authorize: AuthorizeService;
  /** Pushed Authorization Requests (RFC 9126, src/par/). */
  par: PushedAuthorizationService;
  /** The Device Authorization Grant (RFC 8628, src/device/); undefined when auth.device.enabled is off. */
  device: DeviceAuthorizationService | undefined;
  loginThrottle: LoginThrottle;
  /** The Redis connection behind shared limits, when `redis.url` is set. */
  sharedStore: SharedStore | undefined;
  signup: SignupService;
  logout: LogoutService;
  /** Back- and front-channel logout of the clients of an ended session (src/logout/). */
  logoutFanout: LogoutFanout;
  userinfo: UserinfoService;
  /** RFC 9449 proofs, nonces and jti replay (src/dpop/). */
  dpop: DpopService;
  projects: ProjectService;
  projectClients: ProjectClients;
  scopes: ScopeRegistry;
  audit: AuditService;
  discovery: { openid: Record<string, unknown>; oauth: Record<string, unknown> };
  /** Messages about the setup the operator should see (dev secrets, key file permissions). */
  warnings: string[];
  seed(log: (message: string) => void): Promise<SeedResult>;
  /** Deletes expired rows and retired keys past publication; returns how many rows went. */
  purgeExpired(): Promise<number>;
  close(): Promise<void>;
}

export interface ContainerOptions {
  clock?: Clock;
  /** Apply migrations before anything reads the database. */
  migrate?: boolean;
  /** Create a PostgreSQL database that does not exist yet (`migrate`, `serve`). */
  createDatabase?: boolean;
}

function signingAlgs(config: Config): SigningAlg[] {
  // OpenID Connect Core §15.1: RS256 must be supported for ID tokens whatever else is configured.
  // Every configured alg (all five by default) gets keys; the server defaults are always among them.
  return [...new Set<SigningAlg>(['RS256', ...config.security.signingAlgs, config.security.accessTokenAlg, config.security.idTokenAlg])];
}

export async function createContainer(config: Config, options: ContainerOptions = {}): Promise<Container> {
  const clock = options.clock ?? systemClock;
  const warnings: string[] = [];
  if (config.devSecrets) {
    warnings.push('development secrets were generated beside the SQLite database; set auth.sessionSecret and security.encryptionKey in production');
  }
  const db = await openDatabase({ ...config.database, create: options.createDatabase ?? options.migrate });
  let shared: SharedStore | undefined;
  try {
    if (options.migrate) await migrateUp(db);
    const stores = createStores(db);
    const transaction = unitOfWork(db);
    // The hot write paths (token grants, completing a sign-in) share commits on SQLite (storage/group-commit.ts).
    const hotTransaction = isSqliteUrl(config.database.url) ? groupCommit(db) : eachInOwnTransaction(db);
    const box = createSecretBox(config.security.encryptionKey);
    const algs = signingAlgs(config);
    // A retired key must verify every token it signed: the longest access or ID token lifetime, clients' included.
    const longestTokenLifetime = async () =>
      Math.max(config.auth.accessTokenExpiry, config.auth.idTokenExpiry, ...(await stores.clients.list()).flatMap((c) => [c.accessTokenTtl ?? 0, c.idTokenTtl ?? 0]));
    const keystore = new Keystore(
      { store: stores.keys, box, clock, longestTokenLifetime, transaction: (fn) => transaction((s) => fn({ keys: s.keys, audit: s.audit })) },
      {
        algs,
        rsaModulusLength: config.security.rsaModulusLength,
        retiredPublishSeconds: Math.max(config.auth.accessTokenExpiry, config.auth.idTokenExpiry) + 3600,
        refreshIntervalSeconds: config.security.keyRefreshInterval,
        jwksCacheSeconds: JWKS_MAX_AGE_SECONDS,
        initialKey: initialKey(config, warnings),
      },
    );
    const rotationAlgs = config.security.keyRotation.algs.length ? config.security.keyRotation.algs : algs;
    const unknownAlg = rotationAlgs.find((a) => !algs.includes(a));
    if (unknownAlg) throw new ConfigError(`security.keyRotation.algs: ${unknownAlg} has no keys; add it to security.signingAlgs`);
    const keyRotation = new KeyRotationSchedule({ keystore, clock, interval: config.security.keyRotation.interval, algs: rotationAlgs });
    // Client secrets hash in a pool apart from passwords, each client holding at most a quarter of its line.
    const secretQueue = new BoundedQueue({
      concurrency: config.security.clientSecretHashConcurrency,
      maxWaiting: config.security.hashQueueLength,
      perKey: Math.max(1, Math.ceil((config.security.clientSecretHashConcurrency + config.security.hashQueueLength) / 4)),
    });
    const hasher = new SecretHasher(config.security.encryptionKey, secretQueue);
    const fapi = new Fapi2Profile(config.auth.fapi2);
    const metadata = {
      idTokenAlgs: algs,
      operatorScopes: OPERATOR_SCOPES,
      resources: config.auth.resources,
      registrationScopes: config.registration.allowedScopes,
      allowInsecureLoopback: config.outbound.allowInsecureLoopback,
      fapi,
      mtlsEnabled: mtlsEnabled(config.server),
    };
    const projectDeps = (s: Stores) => ({
      projects: s.projects,
      users: s.users,
      clock,
      transaction: <T>(fn: (x: { projects: Stores['projects']; access: Stores['access']; audit: Stores['audit'] }) => Promise<T>) => fn(s),
    });
    const projects = new ProjectService({
      ...projectDeps(stores),
      transaction: (fn) => transaction(fn),
      deleteAccount: (userId, ctx) => accounts.delete(userId, ctx),
      sessionsEnded: (userId) => fanOut({ userId }),
    });
    // Registry changes in this process (always through a transaction) drop the authorization path's cache.
    const scopeCache = cachedScopeStore(stores.scopes);
    const scopeRegistry = (s: Stores) =>
      new ScopeRegistry({
        store: s.scopes,
        ...(s === stores ? { cached: scopeCache } : {}),
        clock,
        requireRole: (a, id, role) => new ProjectService(projectDeps(s)).require(a, id, role),
        // Inside a caller's transaction (the seeder's) the registry joins it; otherwise it opens its own.
        transaction: (fn) => (s === stores ? transaction(fn).finally(() => scopeCache.forget()) : fn(s)),
      });
    const scopes = scopeRegistry(stores);
    const clientDeps = (s: Stores) => ({
      clients: s.clients,
      registrationTokens: s.registrationTokens,
      transaction: <T>(fn: (x: { clients: Stores['clients']; audit: Stores['audit'] }) => Promise<T>) => fn({ clients: s.clients, audit: s.audit }),
      hasher,
      box,
      clock,
      metadata,
      scopes: scopeRegistry(s),
      defaultProjectId: () => new ProjectService(projectDeps(s)).defaultProjectId(),
    });
    // Writes made through this process invalidate the cache; transactions work on uncached stores, then drop the entry.
    const clientStore = cachedClientStore(stores.clients);
    const outbound = createOutboundFetcher(config.outbound);
    const clients = new ClientService({
      ...clientDeps(stores),
      clients: clientStore,
      registration: config.registration,
      transaction: (fn) => transaction((s) => fn({ clients: s.clients, audit: s.audit })),
      scopes,
      defaultProjectId: () => projects.defaultProjectId(),
      sectorFetcher: outbound,
    });
    const verifier = new JwtVerifier(keystore);
    if (config.outbound.allowInsecureLoopback) warnings.push('outbound.allowInsecureLoopback is on: fetched URLs may reach this host; development only');
    // Limits and replay caches: shared by every node through Redis when configured, else this node's own.
    shared = config.redis.url ? connectSharedStore(config.redis.url, config.redis.keyPrefix) : undefined;
    const throttle = (name: string, limits: Config['auth']['loginRateLimit']): LoginThrottle =>
      shared ? new SharedThrottle(shared, name, limits) : new MemoryLoginThrottle(limits, clock);
    const clientAuthThrottle = throttle('client-auth', config.auth.clientAuthRateLimit);
    const registrationAccess = new RegistrationAccess({ clients, throttle: clientAuthThrottle });
    const clientAuth = new ClientAuthenticator({
      clients,
      store: clientStore,
      tokens: shared ? new SharedReplayGuard(shared, stores.tokens) : stores.tokens,
      hasher,
      clock,
      issuer: config.server.issuer,
      outbound,
      throttle: clientAuthThrottle,
      fapi,
      trustAnchors: clientCaBundle(config.server.mtls.clientCaFile),
    });
    const accounts = new AccountService({
      users: stores.users,
      clock,
      hashConcurrency: config.auth.passwordHashConcurrency,
      transaction: (fn) => transaction(fn),
      hashQueueLength: config.security.hashQueueLength,
      sessionsEnded: (userId) => fanOut({ userId }),
    });
    const consents = new ConsentService({
      store: stores.consents,
      clock,
      transaction: (fn) => transaction((s) => fn({ consents: s.consents, grants: s.tokens, audit: s.audit })),
    });
    const audit = new AuditService({ store: stores.audit, clock, retention: config.audit.retention });
    const sessions = new SessionService({
      store: stores.sessions,
      clock,
      lifetime: config.auth.sessionLifetime,
      idleTimeout: config.auth.sessionIdleTimeout,
    });
    const subjects = new SubjectMapper(config.security.encryptionKey);
    const requestObjects = new RequestObjectVerifier({ clients, outbound, clock, issuer: config.server.issuer });
    const par = new PushedAuthorizationService({
      store: stores.pushedRequests,
      clock,
      lifetime: config.auth.par.lifetime,
      required: config.auth.par.required,
      requestObjects,
      profileProblem: (client, params) => fapi.pushedRequestProblem(client, params),
    });
    const authorize = new AuthorizeService({
      clients,
      requestObjects,
      pushed: par,
      profileProblem: (client, pushed) => fapi.authorizationProblem(client, pushed),
      accounts,
      consents,
      codes: stores.codes,
      audit: stores.audit,
      sealer: new InteractionSealer(config.security.encryptionKey),
      sessions,
      clock,
      issuer: config.server.issuer,
      jarm: createJarmEncoder({ sign: (alg, claims) => keystore.signer(alg).sign(claims), clock, issuer: config.server.issuer }),
      codeExpiry: config.auth.codeExpiry,
      codeLifetime: (client, configured) => fapi.codeLifetime(client, configured),
      grantExpiry: config.auth.refreshTokenExpiry,
      interactionExpiry: config.auth.interactionExpiry,
      signupEnabled: config.signup.enabled,
      dpopEnabled: config.auth.dpop.enabled,
      operatorScopes: new OperatorScopeGate(projects, scopes),
      scopes,
      subjects,
      transaction: (fn) => hotTransaction((tx) => fn(createDecisionStores(tx))),
    });
    const tokens = new TokenService({
      keystore,
      verifier,
      store: stores.tokens,
      clients,
      clock,
      config: config.auth,
      accessTokenAlg: config.security.accessTokenAlg,
      idTokenAlg: config.security.idTokenAlg,
      issuer: config.server.issuer,
      transaction: (fn) => hotTransaction((tx) => fn(createGrantStores(tx))),
      subjects,
      rotatesRefreshTokens: (client) => fapi.rotatesRefreshTokens(client),
      senderConstraintProblem: (client, constraint) => fapi.tokenProblem(client, constraint),
      bindAllCertificates: config.server.mtls.boundAccessTokens,
      bindsCertificates: (client) => fapi.appliesTo(client),
      trustedIssuers: new TrustedIssuerVerifier({
        issuers: config.auth.tokenExchange.trustedIssuers,
        outbound,
        clock,
        linkedUser: async (provider, subject) => (await stores.users.findIdentity(provider, subject))?.userId,
      }),
      devices: config.auth.device.enabled ? stores.devices : undefined,
    });
    // Back-Channel Logout: delivered apart from the request that ended the session (logout/backchannel-delivery.ts).
    const delivery = new BackchannelDelivery({
      post: (url, form) => outbound.postForm(url, form),
      audit: (entry) => audit.record(entry),
      maxPending: 1000,
      concurrency: 4,
      attempts: 3,
      backoffMs: 1000,
    });
    const logoutFanout = new LogoutFanout({
      store: stores.sessionClients,
      findClient: (id) => clients.find(id),
      // A CLI process has not loaded the signing keys: it reads them on first use.
      sign: async (alg, claims, typ) => {
        if (!keystore.hasSigner(alg)) await keystore.refresh();
        return keystore.signer(alg).sign(claims, typ);
      },
      deliver: (job) => delivery.enqueue(job),
      subjectFor: (client, userId) => subjects.subjectFor(client, userId),
      failed: (clientId, reason) => void audit.record({ action: 'logout.backchannel', outcome: 'failure', target: { type: 'client', id: clientId }, detail: { reason } }).catch(() => undefined),
      clock,
      issuer: config.server.issuer,
      idTokenAlg: config.security.idTokenAlg,
    });
    // Sessions the server ends (a disabled or deleted account, a new password): the fan-out runs after the commit.
    const fanOuts = new Set<Promise<unknown>>();
    function fanOut(by: { userId: string }): void {
      const p = logoutFanout.sessionEnded(by).catch(() => undefined).finally(() => fanOuts.delete(p));
      fanOuts.add(p);
    }
    const loginThrottle = throttle('login', config.auth.loginRateLimit);
    // User codes typed at /device: every counter of the throttle keyed by the address alone (device/device.service.ts).
    const userCodes = config.auth.device.userCodeRateLimit;
    const device = config.auth.device.enabled
      ? new DeviceAuthorizationService({
          store: stores.devices,
          clock,
          lifetime: config.auth.device.lifetime,
          interval: config.auth.device.interval,
          verificationUri: `${config.server.issuer}/device`,
          throttle: throttle('device-user-code', {
            perAccountAndIp: userCodes.perIp,
            perIp: userCodes.perIp,
            perAccount: userCodes.perIp,
            window: userCodes.window,
            maxBackoff: userCodes.window,
            knownAddressLifetime: 1,
          }),
          authorize,
          findClient: (id) => clients.find(id),
        })
      : undefined;
    const dpopJtis = kyselyDpopJtiStore(db);
    const dpop = new DpopService({
      config: config.auth.dpop,
      nonces: new DpopNonces(config.security.encryptionKey, config.auth.dpop.nonceWindow, clock),
      // Proof jtis: the database every node shares, with Redis in front when configured (as client assertions).
      replay: shared ? new SharedReplayGuard(shared, dpopJtis, 'dpop-jti') : dpopJtis,
      clock,
      issuer: config.server.issuer,
    });
    const discoveryInput: DiscoveryInput = {
      issuer: config.server.issuer,
      scopes: BUILTIN_SCOPES,
      idTokenAlgs: algs,
      signingAlgs: algs,
      accessTokenAlgs: [config.security.accessTokenAlg],
      registrationEnabled: config.registration.enabled,
      signupEnabled: config.signup.enabled,
      parRequired: config.auth.par.required,
      dpopAlgs: config.auth.dpop.enabled ? DPOP_ALGS : undefined,
      deviceAuthorization: config.auth.device.enabled,
      mtls: mtlsEnabled(config.server) ? { endpointBaseUrl: config.server.mtls.endpointBaseUrl || undefined } : undefined,
    };
    return {
      config,
      db,
      stores,
      clock,
      box,
      keystore,
      keyRotation,
      verifier,
      clients,
      clientAuth,
      registrationAccess,
      tokens,
      accounts,
      sessions,
      consents,
      authorize,
      par,
      device,
      loginThrottle,
      sharedStore: shared,
      signup: new SignupService(accounts, config.signup.enabled),
      logout: new LogoutService({ clients, verifier, issuer: config.server.issuer }),
      logoutFanout,
      dpop,
      userinfo: new UserinfoService({ tokens, accounts, clients, sign: (alg, claims) => keystore.signer(alg).sign(claims), issuer: config.server.issuer }),
      projects,
      projectClients: new ProjectClients(clients, projects),
      scopes,
      audit,
      discovery: { openid: openidConfiguration(discoveryInput), oauth: authorizationServerMetadata(discoveryInput) },
      warnings,
      seed: (log) =>
        seed(
          {
            transaction: (fn) => transaction((s) => fn(s, new ClientService(clientDeps(s)))),
            box,
            clock,
            log,
          },
          config.seeder,
          config.auth.resources,
        ),
      async purgeExpired() {
        // Session-client rows of sessions that ended without a logout (expired, replaced) go too.
        return (
          (await stores.tokens.purgeExpired(clock.now())) +
          (await par.purgeExpired()) +
          (await stores.devices.purgeExpired(clock.now())) +
          (await keystore.prune()) +
          (await audit.purge()) +
          (await stores.sessionClients.purgeOrphans()) +
          (await dpopJtis.purgeExpired(clock.now()))
        );
      },
      async close() {
        // A CLI command that ended sessions hands its logout tokens over before the process goes.
        await Promise.allSettled([...fanOuts]);
        await delivery.drain(config.outbound.timeoutMs * 4);
        delivery.stop();
        keystore.stop();
        await outbound.close();
        await shared?.close();
        await db.destroy();
      },
    };
  } catch (err) {
    await shared?.close();
    await db.destroy().catch(() => undefined);
    throw err;
  }
}

/** Readies keys (requires a migrated database) and builds the HTTP server. */
export async function buildApp(container: Container, options: ServerOptions = {}): Promise<FastifyInstance> {
  if (!(await isMigrated(container.db))) {
    throw new Error('the database is not migrated: run `gatehouse migrate`');
  }
  await container.keystore.ensure();
  return buildServer(container, options);
}
