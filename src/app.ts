/**
 * The composition root: the only file that knows storage, domains and HTTP together. `createContainer` wires
 * the services for a config; `buildApp` puts the HTTP shell on top. The CLI, `serve` and tests all use these.
 */
import { readFileSync, statSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import type { Config } from './config/schema.js';
import { isSqliteUrl } from './config/load.js';
import { SecretHasher } from './clients/client-secret.js';
import { ClientService } from './clients/client.service.js';
import { ClientAuthenticator } from './clients/client-auth.js';
import { cachedClientStore } from './clients/cached-client.store.js';
import { authorizationServerMetadata, openidConfiguration, type DiscoveryInput } from './discovery/metadata.js';
import { parsePrivatePem, parsePublicPem, publicJwk, KeyError } from './keys/key-material.js';
import { JWKS_MAX_AGE_SECONDS, Keystore, type SigningAlg } from './keys/keystore.service.js';
import { JwtVerifier } from './keys/verifier.js';
import { systemClock, type Clock } from './oauth/clock.js';
import { createSecretBox, type SecretBox } from './oauth/secret-box.js';
import { seed, type SeedResult } from './seed/seeder.js';
import { openDatabase, type Db } from './storage/db.js';
import { isMigrated, migrateUp } from './storage/migrator.js';
import { eachInOwnTransaction, groupCommit } from './storage/group-commit.js';
import { createDecisionStores, createGrantStores, createStores, unitOfWork, type Stores } from './storage/stores.js';
import { TokenService } from './token/token.service.js';
import { AccountService } from './accounts/account.service.js';
import { LoginRateLimiter } from './accounts/login-rate-limiter.js';
import { AuthorizeService } from './authorize/authorize.service.js';
import { InteractionSealer } from './authorize/interaction.js';
import { ConsentService } from './grants/consent.service.js';
import { SessionService } from './sessions/session.service.js';
import { LogoutService } from './sessions/logout.service.js';
import { UserinfoService } from './userinfo/userinfo.service.js';
import { buildServer } from './http/server.js';
import { createOutboundFetcher } from './outbound/outbound-fetch.js';

export const OPERATOR_SCOPES = ['admin'];
export const BUILTIN_SCOPES = ['openid', 'profile', 'email', 'offline_access', 'admin'];

export interface Container {
  config: Config;
  db: Db;
  stores: Stores;
  clock: Clock;
  box: SecretBox;
  keystore: Keystore;
  verifier: JwtVerifier;
  clients: ClientService;
  clientAuth: ClientAuthenticator;
  tokens: TokenService;
  accounts: AccountService;
  sessions: SessionService;
  consents: ConsentService;
  authorize: AuthorizeService;
  loginLimiter: LoginRateLimiter;
  logout: LogoutService;
  userinfo: UserinfoService;
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
}

function signingAlgs(config: Config): SigningAlg[] {
  // OpenID Connect Core §15.1: RS256 must be supported for ID tokens whatever else is configured.
  return [...new Set<SigningAlg>([config.security.accessTokenAlg, config.security.idTokenAlg, 'RS256'])];
}

function initialKey(config: Config, warnings: string[]) {
  const path = config.security.jwtPrivateKeyPath;
  if (!path) return undefined;
  let pem: string;
  try {
    pem = readFileSync(path, 'utf8');
    if ((statSync(path).mode & 0o077) !== 0) warnings.push(`${path}: private key file is readable by others; chmod 600 it`);
  } catch {
    throw new KeyError(`security.jwtPrivateKeyPath: cannot read ${path}`);
  }
  const key = parsePrivatePem(pem, 'security.jwtPrivateKeyPath');
  if (config.security.jwtPublicKeyPath) {
    const pub = parsePublicPem(readFileSync(config.security.jwtPublicKeyPath, 'utf8'), 'security.jwtPublicKeyPath');
    if (JSON.stringify(publicJwk(pub)) !== JSON.stringify(publicJwk(key))) {
      throw new KeyError('security.jwtPublicKeyPath: does not match the private key');
    }
  }
  return { key, kid: config.security.jwksKid };
}

export async function createContainer(config: Config, options: ContainerOptions = {}): Promise<Container> {
  const clock = options.clock ?? systemClock;
  const warnings: string[] = [];
  if (config.devSecrets) {
    warnings.push('development secrets were generated beside the SQLite database; set auth.sessionSecret and security.encryptionKey in production');
  }
  const db = await openDatabase(config.database);
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
      { store: stores.keys, box, clock, longestTokenLifetime },
      {
        algs,
        rsaModulusLength: config.security.rsaModulusLength,
        retiredPublishSeconds: Math.max(config.auth.accessTokenExpiry, config.auth.idTokenExpiry) + 3600,
        refreshIntervalSeconds: config.security.keyRefreshInterval,
        jwksCacheSeconds: JWKS_MAX_AGE_SECONDS,
        initialKey: initialKey(config, warnings),
      },
    );
    const hasher = new SecretHasher(config.security.encryptionKey);
    const metadata = { idTokenAlgs: algs, operatorScopes: OPERATOR_SCOPES, resources: config.auth.resources };
    const clientDeps = (s: Stores) => ({
      clients: s.clients,
      registrationTokens: s.registrationTokens,
      transaction: <T>(fn: (x: { clients: Stores['clients'] }) => Promise<T>) => fn({ clients: s.clients }),
      hasher,
      box,
      clock,
      metadata,
    });
    // Writes made through this process invalidate the cache; transactions work on uncached stores, then drop the entry.
    const clientStore = cachedClientStore(stores.clients);
    const clients = new ClientService({
      ...clientDeps(stores),
      clients: clientStore,
      registration: config.registration,
      transaction: (fn) => transaction((s) => fn({ clients: s.clients })),
    });
    const verifier = new JwtVerifier(keystore);
    const outbound = createOutboundFetcher(config.outbound);
    if (config.outbound.allowInsecureLoopback) warnings.push('outbound.allowInsecureLoopback is on: fetched URLs may reach this host; development only');
    const clientAuth = new ClientAuthenticator({ clients, store: clientStore, tokens: stores.tokens, hasher, clock, issuer: config.server.issuer, outbound });
    const accounts = new AccountService({ users: stores.users, clock, hashConcurrency: config.auth.passwordHashConcurrency });
    const consents = new ConsentService({ store: stores.consents, grants: stores.tokens, clock });
    const sessions = new SessionService({
      store: stores.sessions,
      clock,
      lifetime: config.auth.sessionLifetime,
      idleTimeout: config.auth.sessionIdleTimeout,
    });
    const authorize = new AuthorizeService({
      clients,
      accounts,
      consents,
      codes: stores.codes,
      sealer: new InteractionSealer(config.security.encryptionKey),
      sessions,
      clock,
      issuer: config.server.issuer,
      codeExpiry: config.auth.codeExpiry,
      grantExpiry: config.auth.refreshTokenExpiry,
      interactionExpiry: config.auth.interactionExpiry,
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
    });
    const loginLimiter = new LoginRateLimiter({
      perAccount: config.auth.loginRateLimit.perAccount,
      perIp: config.auth.loginRateLimit.perIp,
      windowSeconds: config.auth.loginRateLimit.window,
    });
    const discoveryInput: DiscoveryInput = {
      issuer: config.server.issuer,
      scopes: BUILTIN_SCOPES,
      idTokenAlgs: algs,
      accessTokenAlgs: [config.security.accessTokenAlg],
      registrationEnabled: config.registration.enabled,
    };
    return {
      config,
      db,
      stores,
      clock,
      box,
      keystore,
      verifier,
      clients,
      clientAuth,
      tokens,
      accounts,
      sessions,
      consents,
      authorize,
      loginLimiter,
      logout: new LogoutService({ clients, verifier, issuer: config.server.issuer }),
      userinfo: new UserinfoService({ tokens, accounts }),
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
        ),
      async purgeExpired() {
        return (await stores.tokens.purgeExpired(clock.now())) + (await keystore.prune());
      },
      async close() {
        keystore.stop();
        await outbound.close();
        await db.destroy();
      },
    };
  } catch (err) {
    await db.destroy().catch(() => undefined);
    throw err;
  }
}

/** Readies keys (requires a migrated database) and builds the HTTP server. */
export async function buildApp(container: Container): Promise<FastifyInstance> {
  if (!(await isMigrated(container.db))) {
    throw new Error('the database is not migrated: run `gatehouse migrate`');
  }
  await container.keystore.ensure();
  return buildServer(container);
}
