/**
 * RFC 9449 §4.3: the checks on one DPoP proof JWT, in the order of the RFC's list. Pure: no clock, store or nonce
 * here (dpop.service.ts adds the replay cache and the server nonce). Signature and key import are jose's; the
 * key must be public (a proof carrying private members is refused, never used).
 */
import { createHash } from 'node:crypto';
import { decodeProtectedHeader, jwtVerify, type JWK } from 'jose';
import { InvalidDpopProof } from '../oauth/errors.js';
import { importProofKey, type ProofKeyResolver } from './proof-keys.js';

/** RFC 9449 §5.1 `dpop_signing_alg_values_supported`. */
export const DPOP_ALGS = ['ES256', 'ES384', 'PS256', 'RS256', 'EdDSA'] as const;

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

export interface ProofExpectations {
  /** The request method (`htm`). */
  method: string;
  /** The request URL without query or fragment, built from the issuer (`htu`). */
  url: string;
  /** Epoch seconds. */
  now: number;
  /** How far `iat` may be from now, either way. */
  maxAge: number;
  /** At a protected resource: the access token the proof must name (`ath`). */
  accessToken?: string | undefined;
}

export interface VerifiedProof {
  /** RFC 7638 SHA-256 thumbprint of the proof key (`cnf.jkt`). */
  jkt: string;
  jti: string;
  iat: number;
  nonce: string | undefined;
}

/**
 * RFC 9449 §4.3 ¶1–12 minus nonce and replay. The htu comparison normalises both sides the same way (RFC 3986
 * §6.2.2–6.2.3 through WHATWG URL: lowercase scheme and host, default port dropped, no query or fragment).
 */
export async function verifyProof(proof: string, expect: ProofExpectations, keys: ProofKeyResolver = importProofKey): Promise<VerifiedProof> {
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(proof);
  } catch {
    throw new InvalidDpopProof('the DPoP proof is not a JWS');
  }
  if (header.typ !== 'dpop+jwt') throw new InvalidDpopProof('the DPoP proof must have typ dpop+jwt');
  if (typeof header.alg !== 'string' || !(DPOP_ALGS as readonly string[]).includes(header.alg)) {
    throw new InvalidDpopProof(`the DPoP proof alg must be one of ${DPOP_ALGS.join(' ')}`);
  }
  const jwk = header.jwk as JWK | undefined;
  if (!jwk || typeof jwk !== 'object') throw new InvalidDpopProof('the DPoP proof must carry its public key in jwk');
  if (PRIVATE_MEMBERS.some((m) => m in jwk)) throw new InvalidDpopProof('the DPoP proof jwk must be a public key');
  let payload: Record<string, unknown>;
  let jkt: string;
  try {
    let key;
    ({ key, jkt } = await keys(jwk, header.alg));
    ({ payload } = await jwtVerify(proof, key, { typ: 'dpop+jwt', algorithms: [header.alg] }));
  } catch {
    throw new InvalidDpopProof('the DPoP proof signature is invalid');
  }
  const { jti, htm, htu, iat, ath, nonce } = payload;
  if (typeof jti !== 'string' || jti.length === 0 || jti.length > 256) throw new InvalidDpopProof('the DPoP proof needs a jti');
  if (htm !== expect.method) throw new InvalidDpopProof('the DPoP proof htm does not match the request method');
  if (typeof htu !== 'string' || normaliseHtu(htu) !== normaliseHtu(expect.url)) {
    throw new InvalidDpopProof('the DPoP proof htu does not match the request URL');
  }
  if (typeof iat !== 'number' || !Number.isFinite(iat)) throw new InvalidDpopProof('the DPoP proof needs an iat');
  if (Math.abs(expect.now - iat) > expect.maxAge) throw new InvalidDpopProof('the DPoP proof iat is outside the accepted window');
  if (nonce !== undefined && typeof nonce !== 'string') throw new InvalidDpopProof('the DPoP proof nonce must be a string');
  if (expect.accessToken !== undefined) {
    // RFC 9449 §4.3 ¶11: ath = base64url(SHA-256(ASCII(access token))).
    if (ath !== createHash('sha256').update(expect.accessToken).digest('base64url')) {
      throw new InvalidDpopProof('the DPoP proof ath does not match the access token');
    }
  }
  return { jkt, jti, iat, nonce };
}

/** The URL with scheme and host lowercased, the default port dropped and no query or fragment; '' if unparseable. */
export function normaliseHtu(value: string): string {
  if (!URL.canParse(value)) return '';
  const u = new URL(value);
  return `${u.protocol}//${u.host}${u.pathname}`;
}
