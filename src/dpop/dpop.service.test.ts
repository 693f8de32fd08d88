import { randomBytes, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { InvalidDpopProof, UseDpopNonce } from '../oauth/errors.js';
import { DpopNonces } from './nonce.js';
import { DpopService } from './dpop.service.js';

const keys = await generateKeyPair('ES256');
const jwk = await exportJWK(keys.publicKey);
const clock = { t: 1_700_000_000, now() { return this.t; } };
const config = { enabled: true, requireNonce: false, nonceWindow: 300, proofMaxAge: 60, replayCacheSize: 100 };
const proof = (claims: Record<string, unknown> = {}) =>
  new SignJWT({ htm: 'POST', htu: 'https://as.example.com/oauth/token', jti: randomUUID(), iat: clock.t, ...claims })
    .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk })
    .sign(keys.privateKey);

function service(requireNonce: boolean) {
  const used = new Set<string>();
  const replay = { useAssertionJti: async (h: string) => !used.has(h) && !!used.add(h) };
  const nonces = new DpopNonces(randomBytes(32), 300, clock);
  return new DpopService({ config: { ...config, requireNonce }, nonces, replay, clock, issuer: 'https://as.example.com' });
}
const req = (header: string | string[] | undefined) => ({ header, method: 'POST', path: '/oauth/token' });

describe('DpopService', () => {
  it('no header: no proof; a proof is one-time; a stale nonce is answered with a fresh one', async () => {
    const s = service(false);
    expect(await s.verify(req(undefined))).toBeUndefined();
    const p = await proof();
    expect((await s.verify(req(p)))?.jkt).toMatch(/^[\w-]{43}$/);
    await expect(s.verify(req(p))).rejects.toBeInstanceOf(InvalidDpopProof);
    const stale = s.verify(req(await proof({ nonce: 'old' })));
    await expect(stale).rejects.toBeInstanceOf(UseDpopNonce);
    await expect(stale).rejects.toMatchObject({ headers: { 'dpop-nonce': s.nonce() } });
    await expect(s.verify(req([p, p]))).rejects.toBeInstanceOf(InvalidDpopProof);
  });

  it('with nonces required: none → use_dpop_nonce; the current one passes; the nonce of two windows ago does not', async () => {
    const s = service(true);
    await expect(s.verify(req(await proof()))).rejects.toBeInstanceOf(UseDpopNonce);
    const nonce = s.nonce();
    expect(await s.verify(req(await proof({ nonce })))).toBeDefined();
    clock.t += 600;
    await expect(s.verify(req(await proof({ nonce })))).rejects.toBeInstanceOf(UseDpopNonce);
  });

  it('at a resource, errors are 401 with a DPoP challenge', async () => {
    const s = service(false);
    const err = await s.verifyAtResource({ ...req(undefined), accessToken: 't' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 401, headers: { 'www-authenticate': expect.stringMatching(/^DPoP error="invalid_dpop_proof", algs="ES256/) } });
  });
});
