/**
 * Key material: generation, PEM import/export and JWK conversion with node:crypto; RFC 7638 thumbprints via jose.
 * Key objects never leave this module and the signer except as encrypted JWK or public JWK.
 */
import {
  createPrivateKey,
  createPublicKey,
  createSecretKey,
  generateKeyPairSync,
  randomBytes,
  type JsonWebKey,
  type KeyObject,
} from 'node:crypto';
import { calculateJwkThumbprint, type JWK } from 'jose';

export type KeyType = 'RSA' | 'EC' | 'OKP' | 'oct';
export type JwsAlg = 'RS256' | 'PS256' | 'ES256' | 'ES384' | 'ES512' | 'EdDSA' | 'HS256';

export interface GenerateOptions {
  type: KeyType;
  /** RSA: 2048, 3072 or 4096. */
  modulusLength?: number;
  /** EC: P-256, P-384 or P-521. */
  curve?: 'P-256' | 'P-384' | 'P-521';
}

export class KeyError extends Error {
  override name = 'KeyError';
}

export const ALG_KEY: Record<Exclude<JwsAlg, 'HS256'>, GenerateOptions> = {
  RS256: { type: 'RSA' },
  PS256: { type: 'RSA' },
  ES256: { type: 'EC', curve: 'P-256' },
  ES384: { type: 'EC', curve: 'P-384' },
  ES512: { type: 'EC', curve: 'P-521' },
  EdDSA: { type: 'OKP' },
};

export function generateKey(options: GenerateOptions): KeyObject {
  switch (options.type) {
    case 'RSA': {
      const modulusLength = options.modulusLength ?? 2048;
      if (![2048, 3072, 4096].includes(modulusLength)) throw new KeyError('RSA keys must be 2048, 3072 or 4096 bits');
      return generateKeyPairSync('rsa', { modulusLength }).privateKey;
    }
    case 'EC': {
      const curve = options.curve ?? 'P-256';
      const named = { 'P-256': 'prime256v1', 'P-384': 'secp384r1', 'P-521': 'secp521r1' }[curve];
      if (!named) throw new KeyError('EC curve must be P-256, P-384 or P-521');
      return generateKeyPairSync('ec', { namedCurve: named }).privateKey;
    }
    case 'OKP':
      return generateKeyPairSync('ed25519').privateKey;
    case 'oct':
      return createSecretKey(randomBytes(32));
  }
}

/** Checks that a key is one Gatehouse signs with, and returns the JWS alg it would use by default. */
export function defaultAlgFor(key: KeyObject): JwsAlg {
  if (key.type === 'secret') {
    if ((key.symmetricKeySize ?? 0) < 32) throw new KeyError('HMAC keys must be at least 256 bits');
    return 'HS256';
  }
  const details = key.asymmetricKeyDetails ?? {};
  switch (key.asymmetricKeyType) {
    case 'rsa':
    case 'rsa-pss':
      if ((details.modulusLength ?? 0) < 2048) throw new KeyError('RSA key is too short: at least 2048 bits required');
      return 'RS256';
    case 'ec': {
      const alg = ({ prime256v1: 'ES256', secp384r1: 'ES384', secp521r1: 'ES512' } as const)[
        details.namedCurve as 'prime256v1'
      ];
      if (!alg) throw new KeyError(`unsupported EC curve ${details.namedCurve ?? ''}`);
      return alg;
    }
    case 'ed25519':
      return 'EdDSA';
    default:
      throw new KeyError(`unsupported key type ${key.asymmetricKeyType ?? 'unknown'}`);
  }
}

/** Whether a key can sign with the given algorithm. */
export function keyFitsAlg(key: KeyObject, alg: JwsAlg): boolean {
  const natural = defaultAlgFor(key);
  return natural === alg || (natural === 'RS256' && alg === 'PS256');
}

/** Parses a private key PEM (PKCS#1, PKCS#8 or SEC1); the message says what is wrong, never the content. */
export function parsePrivatePem(pem: string, source = 'key'): KeyObject {
  if (!/-----BEGIN (RSA |EC |ENCRYPTED )?PRIVATE KEY-----/.test(pem)) {
    if (/-----BEGIN (RSA )?PUBLIC KEY-----/.test(pem)) throw new KeyError(`${source}: is a public key, a private key is required`);
    throw new KeyError(`${source}: not a PEM private key (PKCS#1, PKCS#8 or SEC1 expected)`);
  }
  if (pem.includes('ENCRYPTED PRIVATE KEY')) throw new KeyError(`${source}: encrypted PEM is not supported`);
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: 'pem' });
  } catch {
    throw new KeyError(`${source}: corrupt PEM private key`);
  }
  defaultAlgFor(key);
  return key;
}

/** Parses a public key PEM (SPKI or PKCS#1). */
export function parsePublicPem(pem: string, source = 'key'): KeyObject {
  if (!/-----BEGIN (RSA )?PUBLIC KEY-----/.test(pem)) throw new KeyError(`${source}: not a PEM public key (SPKI or PKCS#1 expected)`);
  try {
    return createPublicKey({ key: pem, format: 'pem' });
  } catch {
    throw new KeyError(`${source}: corrupt PEM public key`);
  }
}

export function privateKeyToPem(key: KeyObject): string {
  return key.type === 'secret'
    ? key.export().toString('base64') + '\n'
    : (key.export({ format: 'pem', type: 'pkcs8' }) as string);
}

export function publicKeyToPem(key: KeyObject): string {
  return (key.type === 'public' ? key : createPublicKey(key)).export({ format: 'pem', type: 'spki' }) as string;
}

export function privateJwk(key: KeyObject): JWK {
  return key.export({ format: 'jwk' }) as JWK;
}

/** The public members only (RFC 7517 §4): never d, p, q, dp, dq, qi, k. */
export function publicJwk(key: KeyObject): JWK {
  const pub = key.type === 'public' ? key : createPublicKey(key);
  const { kty, n, e, crv, x, y } = pub.export({ format: 'jwk' }) as JsonWebKey;
  const jwk: JWK = { kty: kty as string };
  for (const [k, v] of Object.entries({ n, e, crv, x, y })) if (v !== undefined) (jwk as Record<string, unknown>)[k] = v;
  return jwk;
}

export function keyFromJwk(jwk: JWK): KeyObject {
  if (jwk.kty === 'oct') return createSecretKey(Buffer.from(jwk.k ?? '', 'base64url'));
  return createPrivateKey({ key: jwk as JsonWebKey, format: 'jwk' });
}

/** RFC 7638 thumbprint of the public key, the default kid. */
export async function thumbprint(key: KeyObject): Promise<string> {
  if (key.type === 'secret') return calculateJwkThumbprint(privateJwk(key));
  return calculateJwkThumbprint(publicJwk(key));
}
