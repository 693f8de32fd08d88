/**
 * Reads, substitutes, validates and freezes the configuration. Every failure is a ConfigError whose message
 * names the key path and the reason, never the value (values may be secrets).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { parseDuration } from '../oauth/duration.js';
import { ConfigSchema, type Config, type RawConfig } from './schema.js';
import { devSecretsPath, loadOrCreateDevSecrets } from './dev-secrets.js';
import { parseCidr } from '../outbound/address-policy.js';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export interface LoadOptions {
  /** Explicit path (`--config`); otherwise GATEHOUSE_CONFIG, then ./config.yaml. */
  path?: string | undefined;
  env?: NodeJS.ProcessEnv;
  /** Values applied on top of the file (tests use it for ports and database URLs). */
  overrides?: Record<string, unknown>;
  /**
   * False for commands that only use an existing deployment: a SQLite database that does not exist is then an
   * error naming the file and the config that led there, instead of a new empty database (and new secrets).
   */
  createDatabase?: boolean;
}

export function resolveConfigPath(path: string | undefined, env: NodeJS.ProcessEnv): { path: string; explicit: boolean } {
  const chosen = path ?? env['GATEHOUSE_CONFIG'];
  return chosen ? { path: resolve(chosen), explicit: true } : { path: resolve('config.yaml'), explicit: false };
}

export function loadConfig(options: LoadOptions = {}): Config {
  const env = options.env ?? process.env;
  const { path, explicit } = resolveConfigPath(options.path, env);
  let doc: unknown = {};
  if (existsSync(path)) {
    doc = parseFile(path);
  } else if (explicit) {
    throw new ConfigError(`${path}: config file not found`);
  }
  const substituted = substitute(doc ?? {}, env, '');
  const merged = deepMerge(substituted, options.overrides ?? {});
  // Relative paths in a config file mean relative to that file, wherever the command is run from.
  const base = existsSync(path) ? dirname(path) : process.cwd();
  return normalise(validate(merged), path, base, options.createDatabase ?? true);
}

function parseFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`${path}: cannot read config file (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  try {
    return parseYaml(text);
  } catch (err) {
    const where = err instanceof YAMLParseError && err.linePos ? ` at line ${err.linePos[0].line}` : '';
    throw new ConfigError(`${path}: malformed YAML${where}`);
  }
}

const VAR = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/** `${VAR}` and `${VAR:-default}` in every string scalar. An unset variable without default is an error. */
function substitute(node: unknown, env: NodeJS.ProcessEnv, path: string): unknown {
  if (typeof node === 'string') {
    return node.replace(VAR, (_m, name: string, fallback: string | undefined) => {
      const value = env[name];
      if (value !== undefined && value !== '') return value;
      if (fallback !== undefined) return fallback;
      throw new ConfigError(`${path || '(root)'}: environment variable ${name} is not set`);
    });
  }
  if (Array.isArray(node)) return node.map((item, i) => substitute(item, env, `${path}[${i}]`));
  if (node && typeof node === 'object') {
    return Object.fromEntries(
      Object.entries(node).map(([k, v]) => [k, substitute(v, env, path ? `${path}.${k}` : k)]),
    );
  }
  return node;
}

function deepMerge(base: unknown, extra: Record<string, unknown>): unknown {
  if (!base || typeof base !== 'object' || Array.isArray(base)) return extra;
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [k, v] of Object.entries(extra)) {
    out[k] = v && typeof v === 'object' && !Array.isArray(v) ? deepMerge(out[k], v as Record<string, unknown>) : v;
  }
  return out;
}

function validate(doc: unknown): RawConfig {
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    throw new ConfigError('(root): the config must be a mapping');
  }
  const withDefaults = Value.Default(ConfigSchema, Value.Convert(ConfigSchema, structuredClone(doc)));
  const first = Value.Errors(ConfigSchema, withDefaults).First();
  if (first) {
    const key = first.path.replace(/^\//, '').replaceAll('/', '.') || '(root)';
    throw new ConfigError(`${key}: ${first.message.toLowerCase()}`);
  }
  return withDefaults as RawConfig;
}

function duration(value: string | number, key: string, max?: number): number {
  const seconds = parseDuration(value);
  if (seconds === undefined) throw new ConfigError(`${key}: must be a duration like 60, 60s, 15m, 24h or 30d`);
  if (max !== undefined && seconds > max) throw new ConfigError(`${key}: must be at most ${max} seconds`);
  return seconds;
}

function issuerUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError('server.issuer: must be an absolute URL');
  }
  // OpenID Discovery §3 / RFC 8414 §2: https, no query or fragment (http only for local development).
  const local = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && local)) {
    throw new ConfigError('server.issuer: must use https (http is allowed only for localhost)');
  }
  if (url.search || url.hash || value.includes('#')) throw new ConfigError('server.issuer: must not have a query or fragment');
  return value.replace(/\/$/, '');
}

function outboundConfig(raw: RawConfig['outbound']): RawConfig['outbound'] {
  for (const [i, cidr] of raw.allowPrivateNetworks.entries()) {
    if (!parseCidr(cidr)) throw new ConfigError(`outbound.allowPrivateNetworks[${i}]: must be an IP address or CIDR`);
  }
  return raw;
}

function redisConfig(raw: RawConfig['redis']): RawConfig['redis'] {
  if (raw.url && !/^rediss?:\/\/[^/]/.test(raw.url)) throw new ConfigError('redis.url: must be redis://host[:port][/db] or rediss://…');
  return raw;
}

export function isSqliteUrl(url: string): boolean {
  return url.startsWith('sqlite:');
}

function databaseUrl(value: string, base: string): string {
  if (isSqliteUrl(value)) {
    const file = value.slice('sqlite:'.length);
    return file === ':memory:' || isAbsolute(file) ? value : `sqlite:${resolve(base, file)}`;
  }
  if (/^postgres(ql)?:\/\//.test(value)) return value;
  throw new ConfigError('database.url: unknown scheme (use sqlite:<path> or postgres://…)');
}

function normalise(raw: RawConfig, source: string, base: string, createDatabase: boolean): Config {
  const dbUrl = databaseUrl(raw.database.url, base);
  if (!createDatabase && isSqliteUrl(dbUrl) && dbUrl !== 'sqlite::memory:' && !existsSync(dbUrl.slice('sqlite:'.length))) {
    const from = existsSync(source) ? `config ${source}` : `no config file at ${source}, so the defaults`;
    throw new ConfigError(
      `database.url: there is no database at ${dbUrl.slice('sqlite:'.length)} (${from}); run \`gatehouse migrate\` to create it, or pass --config (or set GATEHOUSE_CONFIG) to use your deployment's config`,
    );
  }
  let sessionSecret = raw.auth.sessionSecret;
  let encryptionKey = raw.security.encryptionKey;
  let devSecrets = false;
  if ((!sessionSecret || !encryptionKey) && isSqliteUrl(dbUrl)) {
    const file = dbUrl.slice('sqlite:'.length);
    if (file !== ':memory:' && existsSync(file) && !existsSync(devSecretsPath(dbUrl))) {
      // New secrets now could never decrypt what the database holds.
      throw new ConfigError(
        `security.encryptionKey: not set, and ${devSecretsPath(dbUrl)} (the development secrets generated with ${file}) is missing; set auth.sessionSecret and security.encryptionKey (GATEHOUSE_SESSION_SECRET, GATEHOUSE_ENCRYPTION_KEY) to the values this database was created with`,
      );
    }
    // Zero-config quick start only: a local SQLite database gets generated secrets kept beside it.
    const generated = loadOrCreateDevSecrets(dbUrl);
    sessionSecret ||= generated.sessionSecret;
    encryptionKey ||= generated.encryptionKey;
    devSecrets = true;
  }
  if (!sessionSecret) throw new ConfigError('auth.sessionSecret: is required');
  if (sessionSecret.length < 32) throw new ConfigError('auth.sessionSecret: must be at least 32 characters');
  if (!encryptionKey) throw new ConfigError('security.encryptionKey: is required');
  const key = Buffer.from(encryptionKey, 'base64');
  if (key.length !== 32 || !/^[A-Za-z0-9+/_-]+={0,2}$/.test(encryptionKey)) {
    throw new ConfigError('security.encryptionKey: must be base64 of 32 bytes');
  }
  // Without an explicit issuer the local URL of the configured port: `serve --port N` then advertises port N.
  const tls = raw.server.tls;
  if (Boolean(tls.certFile) !== Boolean(tls.keyFile)) throw new ConfigError('server.tls: certFile and keyFile go together');
  const file = (value: string) => (value ? resolve(base, value) : '');
  const issuer = issuerUrl(raw.server.issuer || `${tls.certFile ? 'https' : 'http'}://localhost:${raw.server.port}`);
  const mtls = { ...raw.server.mtls, clientCaFile: file(raw.server.mtls.clientCaFile || raw.server.tls.clientCaFile) };
  if (mtls.certificateHeader && !/^[a-z0-9-]+$/i.test(mtls.certificateHeader)) throw new ConfigError('server.mtls.certificateHeader: must be a header name');
  mtls.certificateHeader = mtls.certificateHeader.toLowerCase();
  if (mtls.endpointBaseUrl) mtls.endpointBaseUrl = issuerUrl(mtls.endpointBaseUrl);
  for (const [i, r] of raw.auth.resources.entries()) {
    if (!URL.canParse(r) || r.includes('#')) throw new ConfigError(`auth.resources[${i}]: must be an absolute URI without fragment`);
  }
  const defaultAudience = raw.auth.defaultAudience || issuer;
  for (const [i, r] of raw.auth.opaqueResources.entries()) {
    if (r !== defaultAudience && !raw.auth.resources.includes(r)) {
      throw new ConfigError(`auth.opaqueResources[${i}]: ${r} is neither an entry of auth.resources nor the default audience`);
    }
  }
  const trustedIssuers = raw.auth.tokenExchange.trustedIssuers.map((t, i) => {
    const at = `auth.tokenExchange.trustedIssuers[${i}]`;
    if (!URL.canParse(t.jwksUri)) throw new ConfigError(`${at}.jwksUri: must be an absolute URL`);
    const scheme = new URL(t.jwksUri).protocol;
    // http only for a development loopback issuer; the outbound module enforces the address rules on each fetch.
    if (scheme !== 'https:' && !(scheme === 'http:' && raw.outbound.allowInsecureLoopback)) throw new ConfigError(`${at}.jwksUri: must be https`);
    // 'system' links every local account to itself: mapping an external subject through it would let an issuer name any user.
    if (t.provider === 'system') throw new ConfigError(`${at}.provider: 'system' is reserved`);
    return { ...t, provider: t.provider ?? t.issuer, audience: t.audience ?? issuer };
  });
  const config: Config = {
    server: { ...raw.server, issuer, tls: { certFile: file(tls.certFile), keyFile: file(tls.keyFile), clientCaFile: file(tls.clientCaFile) }, mtls },
    database: { url: dbUrl, poolSize: raw.database.poolSize, schema: raw.database.schema },
    auth: {
      sessionSecret,
      codeExpiry: duration(raw.auth.codeExpiry, 'auth.codeExpiry', 600),
      accessTokenExpiry: duration(raw.auth.accessTokenExpiry, 'auth.accessTokenExpiry'),
      idTokenExpiry: duration(raw.auth.idTokenExpiry, 'auth.idTokenExpiry'),
      refreshTokenExpiry: duration(raw.auth.refreshTokenExpiry, 'auth.refreshTokenExpiry'),
      refreshTokenReuseInterval: duration(raw.auth.refreshTokenReuseInterval, 'auth.refreshTokenReuseInterval', 300),
      sessionLifetime: duration(raw.auth.sessionLifetime, 'auth.sessionLifetime'),
      sessionIdleTimeout: duration(raw.auth.sessionIdleTimeout, 'auth.sessionIdleTimeout'),
      interactionExpiry: duration(raw.auth.interactionExpiry, 'auth.interactionExpiry'),
      passwordHashConcurrency: raw.auth.passwordHashConcurrency,
      loginRateLimit: {
        perAccountAndIp: raw.auth.loginRateLimit.perAccountAndIp,
        perAccount: raw.auth.loginRateLimit.perAccount,
        perIp: raw.auth.loginRateLimit.perIp,
        window: duration(raw.auth.loginRateLimit.window, 'auth.loginRateLimit.window'),
        maxBackoff: duration(raw.auth.loginRateLimit.maxBackoff, 'auth.loginRateLimit.maxBackoff'),
        knownAddressLifetime: duration(raw.auth.loginRateLimit.knownAddressLifetime, 'auth.loginRateLimit.knownAddressLifetime'),
      },
      clientAuthRateLimit: {
        perAccountAndIp: raw.auth.clientAuthRateLimit.perClientAndIp,
        perAccount: raw.auth.clientAuthRateLimit.perClient,
        perIp: raw.auth.clientAuthRateLimit.perIp,
        window: duration(raw.auth.clientAuthRateLimit.window, 'auth.clientAuthRateLimit.window'),
        // Past the per-client limit, attempts from unknown addresses wait for the window (no trickle).
        maxBackoff: duration(raw.auth.clientAuthRateLimit.window, 'auth.clientAuthRateLimit.window'),
        knownAddressLifetime: duration(raw.auth.clientAuthRateLimit.knownAddressLifetime, 'auth.clientAuthRateLimit.knownAddressLifetime'),
      },
      defaultAudience,
      resources: raw.auth.resources,
      opaqueResources: raw.auth.opaqueResources,
      par: { lifetime: duration(raw.auth.par.lifetime, 'auth.par.lifetime', 600), required: raw.auth.par.required },
      device: {
        enabled: raw.auth.device.enabled,
        lifetime: Math.max(1, duration(raw.auth.device.lifetime, 'auth.device.lifetime', 86400)),
        interval: Math.max(1, duration(raw.auth.device.interval, 'auth.device.interval', 300)),
        userCodeRateLimit: { perIp: raw.auth.device.userCodeRateLimit.perIp, window: duration(raw.auth.device.userCodeRateLimit.window, 'auth.device.userCodeRateLimit.window') },
      },
      fapi2: { everyClient: raw.auth.fapi2.everyClient, rotateRefreshTokens: raw.auth.fapi2.rotateRefreshTokens },
      dpop: {
        enabled: raw.auth.dpop.enabled,
        requireNonce: raw.auth.dpop.requireNonce,
        nonceWindow: Math.max(1, duration(raw.auth.dpop.nonceWindow, 'auth.dpop.nonceWindow', 300)),
        proofMaxAge: Math.max(1, duration(raw.auth.dpop.proofMaxAge, 'auth.dpop.proofMaxAge', 600)),
        replayCacheSize: raw.auth.dpop.replayCacheSize,
      },
      tokenExchange: { trustedIssuers },
    },
    security: {
      encryptionKey: key,
      jwtPrivateKeyPath: raw.security.jwtPrivateKeyPath ? resolve(base, raw.security.jwtPrivateKeyPath) : undefined,
      jwtPublicKeyPath: raw.security.jwtPublicKeyPath ? resolve(base, raw.security.jwtPublicKeyPath) : undefined,
      jwksKid: raw.security.jwksKid || undefined,
      accessTokenAlg: raw.security.accessTokenAlg,
      idTokenAlg: raw.security.idTokenAlg,
      signingAlgs: [...new Set(raw.security.signingAlgs)],
      rsaModulusLength: raw.security.rsaModulusLength,
      keyRefreshInterval: duration(raw.security.keyRefreshInterval, 'security.keyRefreshInterval'),
      keyRotation: { interval: duration(raw.security.keyRotation.interval, 'security.keyRotation.interval'), algs: [...new Set(raw.security.keyRotation.algs)] },
      clientSecretHashConcurrency: raw.security.clientSecretHashConcurrency,
      hashQueueLength: raw.security.hashQueueLength,
    },
    registration: registrationPolicy(raw.registration),
    audit: { retention: duration(raw.audit.retention, 'audit.retention') },
    signup: { enabled: raw.signup.enabled },
    outbound: outboundConfig(raw.outbound),
    redis: redisConfig(raw.redis),
    seeder: raw.seeder,
    source,
    devSecrets,
  };
  return deepFreeze(config);
}

/** Self-registration must never hand out an operator scope. */
function registrationPolicy(r: RawConfig['registration']): Config['registration'] {
  const operator = r.allowedScopes.filter((s) => s === 'admin');
  if (operator.length) throw new ConfigError(`registration.allowedScopes: ${operator.join(' ')} is an operator scope and cannot be self-registered`);
  return r;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Buffer.isBuffer(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
