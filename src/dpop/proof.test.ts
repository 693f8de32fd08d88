import { createHash, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { InvalidDpopProof } from '../oauth/errors.js';
import { normaliseHtu, verifyProof } from './proof.js';

const NOW = 1_700_000_000;
const URL_ = 'https://as.example.com/oauth/token';
const keys = await generateKeyPair('ES256', { extractable: true });
const jwk = await exportJWK(keys.publicKey);

async function proof(claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}): Promise<string> {
  return new SignJWT({ htm: 'POST', htu: URL_, jti: randomUUID(), iat: NOW, ...claims })
    .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk, ...header } as { alg: string })
    .sign(keys.privateKey);
}
const expect_ = { method: 'POST', url: URL_, now: NOW, maxAge: 60 };
const refused = async (p: Promise<unknown>) => expect(p).rejects.toBeInstanceOf(InvalidDpopProof);

describe('DPoP proof checks (RFC 9449 §4.3)', () => {
  it('a good proof gives the key thumbprint, jti and nonce', async () => {
    const v = await verifyProof(await proof({ nonce: 'n' }), expect_);
    expect(v.jkt).toBe(await calculateJwkThumbprint(jwk, 'sha256'));
    expect(v.nonce).toBe('n');
  });

  it('htu is compared normalised: case of scheme and host, default port; query and fragment ignored', async () => {
    expect(normaliseHtu('HTTPS://AS.Example.com:443/oauth/token?x=1#f')).toBe(URL_);
    await verifyProof(await proof({ htu: 'https://AS.EXAMPLE.COM:443/oauth/token' }), expect_);
    await refused(verifyProof(await proof({ htu: 'https://as.example.com/oauth/other' }), expect_));
    await refused(verifyProof(await proof({ htu: 'https://as.example.com:8443/oauth/token' }), expect_));
  });

  it('refuses a wrong typ, an unsupported alg, no jwk, a private jwk, a bad signature', async () => {
    await refused(verifyProof(await proof({}, { typ: 'JWT' }), expect_));
    await refused(verifyProof(await proof({}, { jwk: undefined }), expect_));
    await refused(verifyProof(await proof({}, { jwk: await exportJWK(keys.privateKey) }), expect_));
    const other = await exportJWK((await generateKeyPair('ES256', { extractable: true })).publicKey);
    await refused(verifyProof(await proof({}, { jwk: other as JWK }), expect_));
    const hs = await new SignJWT({ htm: 'POST', htu: URL_, jti: 'j', iat: NOW }).setProtectedHeader({ alg: 'HS256', typ: 'dpop+jwt' }).sign(new Uint8Array(32));
    await refused(verifyProof(hs, expect_));
    await refused(verifyProof('not.a.jwt', expect_));
  });

  it('refuses a wrong htm, a missing jti, an iat outside the window', async () => {
    await refused(verifyProof(await proof({ htm: 'GET' }), expect_));
    await refused(verifyProof(await proof({ jti: undefined }), expect_));
    await refused(verifyProof(await proof({ iat: NOW - 61 }), expect_));
    await refused(verifyProof(await proof({ iat: NOW + 61 }), expect_));
    await verifyProof(await proof({ iat: NOW - 60 }), expect_);
  });

  it('at a resource, ath must be the sha256 of the access token', async () => {
    const ath = createHash('sha256').update('tok').digest('base64url');
    await verifyProof(await proof({ htm: 'GET', ath }), { ...expect_, method: 'GET', accessToken: 'tok' });
    await refused(verifyProof(await proof({ htm: 'GET', ath }), { ...expect_, method: 'GET', accessToken: 'other' }));
    await refused(verifyProof(await proof({ htm: 'GET' }), { ...expect_, method: 'GET', accessToken: 'tok' }));
  });
});
