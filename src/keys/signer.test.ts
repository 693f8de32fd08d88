import { describe, expect, it } from 'vitest';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { ALG_KEY, generateKey, publicJwk, thumbprint } from './key-material.js';
import { createJwtSigner } from './signer.js';

// Parity: jose must verify every token the node:crypto fast signer makes (STYLE.md habit 15).
describe('fast JWT signer parity with jose', () => {
  it.each(['RS256', 'PS256', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const)('%s', async (alg) => {
    const key = generateKey(ALG_KEY[alg]);
    const kid = await thumbprint(key);
    const signer = createJwtSigner(key, kid, alg);
    const jwks = createLocalJWKSet({ keys: [{ ...publicJwk(key), kid, alg, use: 'sig' }] });
    for (let i = 0; i < 20; i++) {
      const claims = { iss: 'https://issuer.test', sub: `s-${i}`, aud: 'x', iat: 1, exp: 4_000_000_000, jti: String(i), scope: 'a b', n: 'é😀' };
      const token = signer.sign(claims, 'at+jwt');
      const { payload, protectedHeader } = await jwtVerify(token, jwks, { typ: 'at+jwt', algorithms: [alg] });
      expect(protectedHeader).toEqual({ alg, kid, typ: 'at+jwt' });
      expect(payload).toEqual(claims);
    }
  });
});
