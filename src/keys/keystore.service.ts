/**
 * Signing keys and their lifecycle: next → active → retired. A next key is published in the JWKS from the moment
 * it exists, and `rotate` promotes it only once every relying party has had the chance to see it: not before it
 * has been published for the JWKS cache lifetime (the JWKS `max-age`) plus the key refresh interval (other
 * processes publish it only after their next re-read). A verifier holding a cached JWKS would otherwise reject
 * tokens signed with a key it has never seen (OpenID Connect Core §10.1.1: "the signer … SHOULD publish the new
 * key … before using it"). A retired key stays published until every token it signed has expired: the longest
 * access or ID token lifetime in use (server settings and per-client overrides), plus the time other
 * processes may still sign with it (refresh interval), plus the JWKS cache lifetime. Each process caches the keys
 * and re-reads them every `refreshInterval` seconds, so several processes on one database converge on one JWKS.
 */
import type { KeyObject } from 'node:crypto';
import type { JWK } from 'jose';
import { record, type AuditContext, type AuditEntry } from '../audit/audit-event.js';
import type { AuditStore } from '../audit/audit.store.js';
import type { Clock } from '../oauth/clock.js';
import type { SecretBox } from '../oauth/secret-box.js';
import {
  ALG_KEY,
  KeyError,
  generateKey,
  keyFitsAlg,
  keyFromJwk,
  privateJwk,
  publicJwk,
  thumbprint,
  type JwsAlg,
} from './key-material.js';
import type { KeyStore, StoredKey } from './key.store.js';
import { createJwtSigner, type JwtSigner } from './signer.js';

export type SigningAlg = Exclude<JwsAlg, 'HS256'>;

type Recorder = (at: number, entry: AuditEntry, ctx?: AuditContext) => Promise<void>;
type KeySource = 'generated' | 'imported';

export interface KeystoreDeps {
  store: KeyStore;
  box: SecretBox;
  clock: Clock;
  /** Runs `fn` with stores bound to one transaction, so a key change and its audit event commit together. */
  transaction?<T>(fn: (stores: { keys: KeyStore; audit: AuditStore }) => Promise<T>): Promise<T>;
  /** The longest lifetime (s) of a token signed now, per-client overrides included; read at each rotation. */
  longestTokenLifetime?: () => Promise<number>;
}

/** `max-age` of the JWKS response: how long relying parties may keep a JWKS without asking again. */
export const JWKS_MAX_AGE_SECONDS = 300;

/** `rotate` refused: the next key has not been published long enough (the message names the wait). */
export class RotationTooEarly extends KeyError {
  override name = 'RotationTooEarly';
}

export interface KeystoreOptions {
  /** Algorithms the server signs with; each gets an active and a next key. */
  algs: SigningAlg[];
  rsaModulusLength: number;
  /** How long a retired key stays published at least (the longest token lifetime may extend it). */
  retiredPublishSeconds: number;
  refreshIntervalSeconds: number;
  /** How long a relying party may cache the JWKS (JWKS_MAX_AGE_SECONDS in production). */
  jwksCacheSeconds: number;
  /** Initial key imported from PEM files on first start (config security.jwtPrivateKeyPath). */
  initialKey?: { key: KeyObject; kid?: string | undefined } | undefined;
}

export interface PublicJwk extends JWK {
  kid: string;
  alg: string;
  use: 'sig';
}

export class Keystore {
  private signers = new Map<string, JwtSigner>();
  private published: PublicJwk[] = [];
  private jwksBody = '{"keys":[]}';
  private timer: NodeJS.Timeout | undefined;

  private readonly deps: KeystoreDeps;
  private readonly options: KeystoreOptions;

  constructor(deps: KeystoreDeps, options: KeystoreOptions) {
    this.deps = deps;
    this.options = options;
  }

  /** Makes sure every configured alg has an active and a next key, then loads the cache. */
  async ensure(): Promise<void> {
    const keys = await this.deps.store.list();
    for (const alg of this.options.algs) {
      const has = (state: string) => keys.some((k) => k.alg === alg && k.state === state);
      if (!has('active')) {
        const initial = this.options.initialKey;
        const useInitial = initial && keyFitsAlg(initial.key, alg) && !keys.some((k) => k.kid === initial.kid);
        await this.insertIfAbsent(
          await this.seal(useInitial ? initial.key : this.generate(alg), alg, 'active', useInitial ? initial.kid : undefined),
          useInitial ? 'imported' : 'generated',
        );
      }
      if (!has('next')) await this.insertIfAbsent(await this.seal(this.generate(alg), alg, 'next'));
    }
    await this.refresh();
  }

  /** Two processes starting together may both try; the unique (alg, state) index lets exactly one win. */
  private async insertIfAbsent(key: StoredKey, source: KeySource = 'generated'): Promise<void> {
    try {
      await this.inserted(key, source);
    } catch (err) {
      const now = await this.deps.store.list();
      if (!now.some((k) => k.alg === key.alg && k.state === key.state)) throw err;
    }
  }

  private generate(alg: SigningAlg): KeyObject {
    const shape = ALG_KEY[alg];
    return generateKey(shape.type === 'RSA' ? { ...shape, modulusLength: this.options.rsaModulusLength } : shape);
  }

  private async seal(key: KeyObject, alg: SigningAlg, state: StoredKey['state'], kid?: string): Promise<StoredKey> {
    if (!keyFitsAlg(key, alg)) throw new KeyError(`the key cannot sign ${alg}`);
    const id = kid ?? (await thumbprint(key));
    const now = this.deps.clock.now();
    return {
      kid: id,
      alg,
      state,
      privateJwkEnc: this.deps.box.seal(JSON.stringify(privateJwk(key)), `signing-key:${id}`),
      publicJwk: publicJwk(key),
      createdAt: now,
      activatedAt: state === 'active' ? now : null,
      retiredAt: null,
      publishUntil: null,
    };
  }

  /** Inserts a key and records it; a losing insert rolls its event back with it. */
  private async inserted(key: StoredKey, source: KeySource, ctx?: AuditContext): Promise<void> {
    await this.write(async ({ keys, audit }) => {
      await keys.insert(key);
      await audit?.(key.createdAt, { action: 'key.generated', ...keyTarget(key.kid), detail: { alg: key.alg, state: key.state, source } }, ctx);
    });
  }

  /** Without a transaction (a bare keystore in a unit test) nothing is recorded. */
  private write<T>(fn: (s: { keys: KeyStore; audit?: Recorder }) => Promise<T>): Promise<T> {
    const tx = this.deps.transaction;
    if (!tx) return fn({ keys: this.deps.store });
    return tx(({ keys, audit }) => fn({ keys, audit: (at, entry, ctx) => record(audit, at, entry, ctx) }));
  }

  /** Re-reads the keys from the database and rebuilds signers and the JWKS. */
  async refresh(): Promise<void> {
    const now = this.deps.clock.now();
    const keys = await this.deps.store.list();
    const signers = new Map<string, JwtSigner>();
    const published: PublicJwk[] = [];
    for (const k of keys) {
      if (k.state === 'retired' && (k.publishUntil ?? 0) <= now) continue;
      published.push({ ...k.publicJwk, kid: k.kid, alg: k.alg, use: 'sig' });
      if (k.state === 'active') {
        const current = this.signers.get(k.alg);
        signers.set(
          k.alg,
          current?.kid === k.kid ? current : createJwtSigner(this.unseal(k), k.kid, k.alg as JwsAlg),
        );
      }
    }
    // Stable order: active first, then next, then retired, each in the configured alg order (RS256 first), so
    // every process serves byte-identical JWKS and the first key is the active key of the first alg.
    const rank = { active: 0, next: 1, retired: 2 } as const;
    const byKid = new Map(keys.map((k) => [k.kid, k]));
    const algRank = (alg: string) => {
      const i = (this.options.algs as readonly string[]).indexOf(alg);
      return i === -1 ? this.options.algs.length : i;
    };
    published.sort(
      (a, b) =>
        rank[byKid.get(a.kid)!.state] - rank[byKid.get(b.kid)!.state] || algRank(a.alg) - algRank(b.alg) || a.kid.localeCompare(b.kid),
    );
    this.signers = signers;
    this.published = published;
    this.jwksBody = JSON.stringify({ keys: published });
  }

  private unseal(k: StoredKey): KeyObject {
    let jwk: string;
    try {
      jwk = this.deps.box.open(k.privateJwkEnc, `signing-key:${k.kid}`);
    } catch {
      // The one failure an operator meets here is a different key (secrets regenerated in another shell).
      throw new KeyError(
        `security.encryptionKey: cannot decrypt signing key ${k.kid}; this is not the key the database was created with. Set security.encryptionKey (GATEHOUSE_ENCRYPTION_KEY) to that key`,
      );
    }
    return keyFromJwk(JSON.parse(jwk) as JWK);
  }

  /** Periodic refresh; the timer never keeps the process alive. */
  start(onError: (err: unknown) => void): void {
    this.stop();
    this.timer = setInterval(() => this.refresh().catch(onError), this.options.refreshIntervalSeconds * 1000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** The signer of the active key for `alg`. */
  signer(alg: string): JwtSigner {
    const signer = this.signers.get(alg);
    if (!signer) throw new KeyError(`no active signing key for ${alg}`);
    return signer;
  }

  hasSigner(alg: string): boolean {
    return this.signers.has(alg);
  }

  /** The JWKS document as a pre-serialised string. */
  jwksJson(): string {
    return this.jwksBody;
  }

  publicKeys(): readonly PublicJwk[] {
    return this.published;
  }

  /** Seconds a next key must have been published before it may sign. */
  get minimumPublishedSeconds(): number {
    return this.options.jwksCacheSeconds + this.options.refreshIntervalSeconds;
  }

  /**
   * Promotes the next key of `alg` (or of every configured alg) and creates a fresh next key. Refuses, for all
   * algs at once, while any next key is younger than `minimumPublishedSeconds`, unless `force`.
   */
  async rotate(
    alg?: SigningAlg,
    options: { force?: boolean } = {},
    ctx?: AuditContext,
  ): Promise<Array<{ alg: string; retired?: string | undefined; active: string; next: string; retiredPublishedUntil?: number | undefined }>> {
    const algs = alg ? [alg] : this.options.algs;
    const keys = await this.deps.store.list();
    const now = this.deps.clock.now();
    const needed = this.minimumPublishedSeconds;
    for (const a of algs) {
      const next = keys.find((k) => k.alg === a && k.state === 'next');
      if (!next) throw new KeyError(`no next key for ${a}; run \`gatehouse keys generate --alg ${a}\``);
      const age = now - next.createdAt;
      if (age < needed && !options.force) {
        throw new RotationTooEarly(
          `${a}: the next key ${next.kid} was published ${Math.max(0, age)}s ago; relying parties may not have it yet ` +
            `(JWKS cached ${this.options.jwksCacheSeconds}s, keys re-read every ${this.options.refreshIntervalSeconds}s): ` +
            `wait ${needed - age}s, or pass --force`,
        );
      }
    }
    const longest = (await this.deps.longestTokenLifetime?.()) ?? 0;
    const publishFor = Math.max(this.options.retiredPublishSeconds, longest + this.options.refreshIntervalSeconds + this.options.jwksCacheSeconds);
    const out = [];
    for (const a of algs) {
      // The keys checked above: if another rotation promoted them meanwhile, store.rotate refuses (the key
      // that replaced them is brand new and must not be promoted in its turn).
      const next = keys.find((k) => k.alg === a && k.state === 'next')!;
      const active = keys.find((k) => k.alg === a && k.state === 'active');
      const fresh = await this.seal(this.generate(a), a, 'next');
      await this.write(async ({ keys, audit }) => {
        await keys.rotate(a, next.kid, fresh, now, now + publishFor);
        await audit?.(now, { action: 'key.rotated', ...keyTarget(next.kid), detail: { alg: a, retired: active?.kid ?? null, next: fresh.kid } }, ctx);
        if (active) await audit?.(now, { action: 'key.retired', ...keyTarget(active.kid), detail: { alg: a } }, ctx);
        await audit?.(now, { action: 'key.generated', ...keyTarget(fresh.kid), detail: { alg: a, state: 'next', source: 'generated' } }, ctx);
      });
      out.push({ alg: a, retired: active?.kid, active: next.kid, next: fresh.kid, retiredPublishedUntil: active ? now + publishFor : undefined });
    }
    await this.refresh();
    return out;
  }

  /** Adds a key as the next key of its alg (replacing a pending next key is not allowed). */
  async importKey(key: KeyObject, alg: SigningAlg, kid?: string, ctx?: AuditContext): Promise<StoredKey> {
    const keys = await this.deps.store.list();
    if (keys.some((k) => k.alg === alg && k.state === 'next')) {
      throw new KeyError(`${alg} already has a next key; rotate first, then import`);
    }
    const stored = await this.seal(key, alg, 'next', kid);
    if (keys.some((k) => k.kid === stored.kid)) throw new KeyError(`a key with kid ${stored.kid} already exists`);
    await this.inserted(stored, 'imported', ctx);
    await this.refresh();
    return stored;
  }

  async list(): Promise<StoredKey[]> {
    return this.deps.store.list();
  }

  /** Drops retired keys whose publication window has ended. */
  async prune(): Promise<number> {
    return this.deps.store.deleteExpired(this.deps.clock.now());
  }
}

const keyTarget = (kid: string) => ({ target: { type: 'signing_key', id: kid } });
