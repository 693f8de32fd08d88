/**
 * JWK Sets fetched from URLs (a client's jwks_uri, a trusted issuer's jwks_uri) through the outbound module only,
 * with one jose key set per fetched document: the outbound cache returns the same object while it is fresh, so a
 * key set is built once per fetch, not once per verification.
 */
import { createLocalJWKSet, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import type { OutboundFetcher } from './outbound-fetch.js';

export class NotAKeySet extends Error {
  override name = 'NotAKeySet';
  constructor() {
    super('jwks_uri did not return a JWK Set');
  }
}

export class RemoteKeySets {
  private readonly built = new WeakMap<object, JWTVerifyGetKey>();
  private readonly outbound: Pick<OutboundFetcher, 'fetchJson'>;

  constructor(outbound: Pick<OutboundFetcher, 'fetchJson'>) {
    this.outbound = outbound;
  }

  /** The JWK Set at `uri`; `maxCachedAgeMs` refetches a cached copy older than that (a key it lacks was asked for). */
  async document(uri: string, maxCachedAgeMs?: number): Promise<JSONWebKeySet> {
    const doc = await this.outbound.fetchJson(uri, maxCachedAgeMs === undefined ? {} : { maxCachedAgeMs });
    if (!doc || typeof doc !== 'object' || !Array.isArray((doc as { keys?: unknown }).keys)) throw new NotAKeySet();
    return doc as JSONWebKeySet;
  }

  /** The key set at `uri`, for jose's jwtVerify / compactVerify. */
  async keySet(uri: string, maxCachedAgeMs?: number): Promise<JWTVerifyGetKey> {
    const doc = await this.document(uri, maxCachedAgeMs);
    let set = this.built.get(doc);
    if (!set) this.built.set(doc, (set = createLocalJWKSet(doc)));
    return set;
  }
}
