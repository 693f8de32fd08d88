import { describe, expect, it } from 'vitest';
import type { User } from '../accounts/user.store.js';
import { InvalidRequest } from '../oauth/errors.js';
import { applyProfile, claimPairs, parseClaimChanges } from './claim-input.js';
import { claimsBeyondScopes, demandsUnmetAcr, parseClaimsRequest } from './claims-request.js';
import { releaseClaims } from './release.js';

const user: User = {
  id: 'u1', email: 'a@example.com', emailVerified: true, givenName: 'Ada', familyName: 'Lovelace', name: 'Ada Lovelace',
  passwordHash: null, disabledAt: null, createdAt: 1, updatedAt: 2,
  profileClaims: { locale: 'en-GB', address: { country: 'GB' }, phone_number: '+44 20 7946 0000', phone_number_verified: false },
};

describe('claim values', () => {
  it('accepts §5.1 formats and refuses the rest with the claim named', () => {
    expect(parseClaimChanges({ birthdate: '0000-02-29', zoneinfo: 'Europe/Paris', locale: 'fr-CA', website: 'https://x.example/' }).profile)
      .toEqual({ birthdate: '0000-02-29', zoneinfo: 'Europe/Paris', locale: 'fr-CA', website: 'https://x.example/' });
    for (const [k, v] of [['birthdate', '1999-02-29'], ['birthdate', '99'], ['picture', 'data:image/png;base64,AA'], ['phone_number', '12'], ['gender', ''], ['address', []]] as const) {
      expect(() => parseClaimChanges({ [k]: v }), `${k}=${JSON.stringify(v)}`).toThrow(InvalidRequest);
    }
  });

  it('reads CLI pairs: address members, booleans, empty clears; unknown names refused', () => {
    expect(claimPairs(['address.locality=Paris', 'phone_number_verified=true', 'nickname='])).toEqual({ address: { locality: 'Paris' }, phone_number_verified: true, nickname: null });
    expect(() => claimPairs(['shoe_size=44'])).toThrow(InvalidRequest);
    expect(applyProfile({ nickname: 'x', locale: 'en' }, { nickname: null })).toEqual({ locale: 'en' });
  });
});

describe('claims request and release', () => {
  it('normalizes, drops unknown claims and refuses malformed members', () => {
    expect(parseClaimsRequest('{"userinfo":{"email":null,"foo":null},"id_token":{"acr":{"essential":true}}}')).toEqual({ userinfo: { email: null }, id_token: { acr: { essential: true } } });
    for (const bad of ['1', 'null', '{"id_token":[]}', '{"userinfo":{"email":1}}']) expect(() => parseClaimsRequest(bad), bad).toThrow(InvalidRequest);
    expect(demandsUnmetAcr(parseClaimsRequest('{"id_token":{"acr":{"essential":true,"values":["x"]}}}'))).toBe(true);
    expect(demandsUnmetAcr(parseClaimsRequest('{"id_token":{"acr":{"values":["x"]}}}'))).toBe(false);
    expect(claimsBeyondScopes(parseClaimsRequest('{"userinfo":{"email":null,"address":null,"sub":null}}'), ['openid', 'email'])).toEqual(['address']);
  });

  it('releases scope claims with their JSON types, requested ones by name, and leaves out value mismatches', () => {
    expect(releaseClaims(user, { scopes: ['phone', 'address'], scopeClaims: true, requested: undefined }))
      .toEqual({ phone_number: '+44 20 7946 0000', phone_number_verified: false, address: { country: 'GB' } });
    expect(releaseClaims(user, { scopes: ['profile'], scopeClaims: false, requested: { email: null, locale: { value: 'fr' }, name: { values: ['Ada Lovelace'] } } }))
      .toEqual({ email: 'a@example.com', name: 'Ada Lovelace' });
  });
});
