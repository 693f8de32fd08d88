/**
 * The hot-path JWS signer: node:crypto on a cached KeyObject with the protected header encoded once per key.
 * jose signs through WebCrypto at about half the speed; jose still verifies everything this signer makes
 * (src/keys/signer.test.ts is the parity test).
 */
import { constants, sign, type KeyObject } from 'node:crypto';
import type { JwsAlg } from './key-material.js';

export interface JwtSigner {
  readonly kid: string;
  readonly alg: JwsAlg;
  /** Signs the claims as a compact JWS with header `{alg, kid, typ}`. */
  sign(claims: object, typ?: string): string;
}

export function createJwtSigner(key: KeyObject, kid: string, alg: JwsAlg): JwtSigner {
  const headers = new Map<string, string>();
  const header = (typ: string): string => {
    let encoded = headers.get(typ);
    if (!encoded) {
      encoded = Buffer.from(JSON.stringify({ alg, kid, typ })).toString('base64url');
      headers.set(typ, encoded);
    }
    return encoded;
  };
  const signInput = signFunction(key, alg);
  return {
    kid,
    alg,
    sign(claims, typ = 'JWT') {
      const input = `${header(typ)}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
      return `${input}.${signInput(Buffer.from(input)).toString('base64url')}`;
    },
  };
}

function signFunction(key: KeyObject, alg: JwsAlg): (data: Buffer) => Buffer {
  switch (alg) {
    case 'RS256':
      return (data) => sign('sha256', data, key);
    case 'PS256':
      return (data) =>
        sign('sha256', data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST });
    case 'ES256':
      return (data) => sign('sha256', data, { key, dsaEncoding: 'ieee-p1363' });
    case 'ES384':
      return (data) => sign('sha384', data, { key, dsaEncoding: 'ieee-p1363' });
    case 'ES512':
      return (data) => sign('sha512', data, { key, dsaEncoding: 'ieee-p1363' });
    case 'EdDSA':
      return (data) => sign(null, data, key);
    case 'HS256':
      throw new Error('HS256 keys do not sign tokens');
  }
}
