import { describe, expect, it } from 'vitest';
import { acceptsIntrospectionJwt } from './introspection-jwt.js';

describe('RFC 9701 content negotiation', () => {
  it.each([
    ['application/token-introspection+jwt', true],
    ['application/json;q=0.5, application/token-introspection+jwt', true],
    ['APPLICATION/Token-Introspection+JWT; q=1', true],
    ['application/token-introspection+jwt;q=0', false],
    ['application/token-introspection+jwt; q=0.0', false],
    ['application/json', false],
    ['*/*', false],
    ['application/token-introspection+jwtx', false],
    [undefined, false],
  ])('Accept %s → JWT %s', (accept, jwt) => {
    expect(acceptsIntrospectionJwt(accept)).toBe(jwt);
  });
});
