/**
 * The public keys of DPoP proofs, imported once per key: a client signs every proof with the same key, and
 * importing a JWK costs about as much as verifying the signature. Keys are cached by alg and RFC 7638 thumbprint,
 * and imported from the thumbprint's members only, so the cached key is exactly the key the thumbprint names
 * (whatever else a proof's `jwk` carries). Bounded: the oldest entries go first.
 */
import { calculateJwkThumbprint, importJWK, type CryptoKey, type JWK, type KeyObject } from 'jose';

export interface ProofKey {
  key: CryptoKey | KeyObject | Uint8Array;
  /** RFC 7638 SHA-256 thumbprint (`cnf.jkt`). */
  jkt: string;
}

export type ProofKeyResolver = (jwk: JWK, alg: string) => Promise<ProofKey>;

/** RFC 7638 §3.2: the members a thumbprint covers, per key type. */
const THUMBPRINT_MEMBERS: Record<string, readonly string[]> = { EC: ['crv', 'kty', 'x', 'y'], RSA: ['e', 'kty', 'n'], OKP: ['crv', 'kty', 'x'] };

/** Imports without caching (each call imports). */
export const importProofKey: ProofKeyResolver = async (jwk, alg) => {
  const jkt = await calculateJwkThumbprint(jwk, 'sha256');
  return { key: await importJWK(thumbprintMembers(jwk), alg), jkt };
};

export class ProofKeyCache {
  private readonly keys = new Map<string, Promise<ProofKey>>();
  private readonly maxEntries: number;

  constructor(maxEntries: number) {
    this.maxEntries = maxEntries;
  }

  readonly resolve: ProofKeyResolver = async (jwk, alg) => {
    const jkt = await calculateJwkThumbprint(jwk, 'sha256');
    const id = `${alg}.${jkt}`;
    let entry = this.keys.get(id);
    if (!entry) {
      entry = importJWK(thumbprintMembers(jwk), alg).then((key) => ({ key, jkt }));
      // A key that fails to import is not kept.
      entry.catch(() => this.keys.delete(id));
      this.keys.set(id, entry);
      while (this.keys.size > this.maxEntries) this.keys.delete(this.keys.keys().next().value as string);
    }
    return entry;
  };
}

function thumbprintMembers(jwk: JWK): JWK {
  const members = THUMBPRINT_MEMBERS[String(jwk.kty)] ?? [];
  return Object.fromEntries(members.map((m) => [m, (jwk as Record<string, unknown>)[m]])) as JWK;
}
