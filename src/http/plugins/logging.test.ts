import { describe, expect, it } from 'vitest';
import { redactUrl } from './logging.js';

describe('redactUrl', () => {
  it('replaces credential values, keeps the path and other parameters', () => {
    expect(redactUrl('/oauth/userinfo?access_token=abc&x=1')).toBe('/oauth/userinfo?access_token=%5Bredacted%5D&x=1');
    expect(redactUrl('/oauth/logout?id_token_hint=a.b.c&state=s')).toBe('/oauth/logout?id_token_hint=%5Bredacted%5D&state=s');
    expect(redactUrl('/x')).toBe('/x');
    expect(redactUrl('/x?state=s')).toBe('/x?state=s');
  });
  it('matches encoded and upper-case names and every repetition', () => {
    const out = redactUrl('/a?ACCESS%5FTOKEN=s1&code=s2&code=s3&Client_Secret=s4');
    for (const s of ['s1', 's2', 's3', 's4']) expect(out).not.toContain(s);
  });
});
