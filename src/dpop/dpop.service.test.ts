import { randomBytes, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { SharedReplayGuard } from '../limits/shared-replay.js';
import type { SharedStore } from '../limits/shared-store.js';
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

  it('with Redis in front (SharedReplayGuard, own namespace): a jti another node recorded is refused without the database', async () => {
    const redis = new Map<string, string>();
    const store = {
      keyPrefix: 'gh:',
      status: () => 'ok',
      client: { set: async (k: string, v: string) => (redis.has(k) ? null : (redis.set(k, v), 'OK')) },
    } as unknown as SharedStore;
    const db = new Set<string>();
    const fallback = { useAssertionJti: async (h: string) => !db.has(h) && !!db.add(h) };
    const nodes = [0, 1].map(() => new DpopService({ config, nonces: new DpopNonces(randomBytes(32), 300, clock), replay: new SharedReplayGuard(store, fallback, 'dpop-jti'), clock, issuer: 'https://as.example.com' }));
    const p = await proof();
    expect(await nodes[0]!.verify(req(p))).toBeDefined();
    await expect(nodes[1]!.verify(req(p))).rejects.toBeInstanceOf(InvalidDpopProof);
    expect([...redis.keys()][0]).toMatch(/^gh:dpop-jti:/);
    expect(db.size).toBe(1);
  });
});
