import { describe, expect, it } from 'vitest';
import { createJarmEncoder, isJarmMode, jarmDelivery, JARM_LIFETIME_SECONDS } from './jarm.js';

describe('JARM', () => {
  it('maps each mode to its delivery; jwt means query for response_type=code', () => {
    expect(jarmDelivery('jwt')).toBe('query');
    expect(jarmDelivery('query.jwt')).toBe('query');
    expect(jarmDelivery('fragment.jwt')).toBe('fragment');
    expect(jarmDelivery('form_post.jwt')).toBe('form_post');
    expect(isJarmMode('form_post')).toBe(false);
    expect(isJarmMode('jwt.query')).toBe(false);
  });

  it('signs iss, aud, iat, exp ≤ 10 min and the parameters, with the client alg or RS256', () => {
    const signed: Array<{ alg: string; claims: Record<string, unknown> }> = [];
    const jarm = createJarmEncoder({ sign: (alg, claims) => (signed.push({ alg, claims: claims as Record<string, unknown> }), 'jwt'), clock: { now: () => 1000 }, issuer: 'https://op.example' });
    expect(jarm.encode('client-1', undefined, { code: 'c', state: 's', iss: 'https://op.example' })).toBe('jwt');
    jarm.encode('client-2', 'ES256', { error: 'access_denied' });
    expect(signed[0]).toEqual({ alg: 'RS256', claims: { code: 'c', state: 's', iss: 'https://op.example', aud: 'client-1', iat: 1000, exp: 1000 + JARM_LIFETIME_SECONDS } });
    expect(JARM_LIFETIME_SECONDS).toBeLessThanOrEqual(600);
    expect(signed[1]!.alg).toBe('ES256');
  });
});
