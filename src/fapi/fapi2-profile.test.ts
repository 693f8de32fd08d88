import { describe, expect, it } from 'vitest';
import { FAPI2_PROFILE, Fapi2Profile, type Fapi2Client } from './fapi2-profile.js';

const client = (over: Partial<Fapi2Client> = {}): Fapi2Client => ({
  fapiProfile: FAPI2_PROFILE,
  clientType: 'confidential',
  tokenEndpointAuthMethod: 'private_key_jwt',
  redirectUris: ['https://rp.example/cb'],
  ...over,
});

describe('Fapi2Profile', () => {
  const perClient = new Fapi2Profile({ everyClient: false, rotateRefreshTokens: false });
  const everyClient = new Fapi2Profile({ everyClient: true, rotateRefreshTokens: true });

  it('applies to profile clients, or to every client server-wide', () => {
    expect(perClient.appliesTo({ fapiProfile: null })).toBe(false);
    expect(perClient.appliesTo({ fapiProfile: FAPI2_PROFILE })).toBe(true);
    expect(everyClient.appliesTo({ fapiProfile: null })).toBe(true);
  });

  it('registration: confidential, private_key_jwt or mTLS, FAPI algs, code only, https redirect URIs', () => {
    expect(perClient.clientProblem(client())).toBeUndefined();
    expect(perClient.clientProblem(client({ tokenEndpointAuthMethod: 'tls_client_auth' }))).toBeUndefined();
    expect(perClient.clientProblem(client({ clientType: 'public', tokenEndpointAuthMethod: 'none' }))?.error).toBe('invalid_client_metadata');
    expect(perClient.clientProblem(client({ tokenEndpointAuthMethod: 'client_secret_basic' }))?.error).toBe('invalid_client_metadata');
    expect(perClient.clientProblem(client({ idTokenSignedResponseAlg: 'RS256' }))?.error).toBe('invalid_client_metadata');
    expect(perClient.clientProblem(client({ tokenEndpointAuthSigningAlg: 'RS256' }))?.error).toBe('invalid_client_metadata');
    expect(perClient.clientProblem(client({ responseTypes: ['code', 'code id_token'] }))?.error).toBe('invalid_client_metadata');
    expect(perClient.clientProblem(client({ redirectUris: ['http://localhost:3000/cb'] }))?.error).toBe('invalid_redirect_uri');
    expect(perClient.clientProblem(client({ fapiProfile: null, tokenEndpointAuthMethod: 'client_secret_basic' }))).toBeUndefined();
  });

  it('client assertions: PS256, ES256 or EdDSA only', () => {
    expect(perClient.assertionAlgs(client())).toEqual(['PS256', 'ES256', 'EdDSA']);
    expect(perClient.assertionAlgs(client({ tokenEndpointAuthSigningAlg: 'ES256' }))).toEqual(['ES256']);
    expect(perClient.assertionAlgs(client({ fapiProfile: null }))).toBeUndefined();
    expect(perClient.authenticationProblem(client({ tokenEndpointAuthMethod: 'client_secret_post' }))?.error).toBe('invalid_client');
  });

  it('PAR required, redirect_uri required when pushing, code only', () => {
    expect(perClient.authorizationProblem(client(), false)?.error).toBe('invalid_request');
    expect(perClient.authorizationProblem(client(), true)).toBeUndefined();
    expect(perClient.pushedRequestProblem(client(), { response_type: 'code' })?.error).toBe('invalid_request');
    expect(perClient.pushedRequestProblem(client(), { response_type: 'code id_token', redirect_uri: 'https://rp.example/cb' })?.error).toBe('unsupported_response_type');
    expect(perClient.pushedRequestProblem(client(), { response_type: 'code', redirect_uri: 'https://rp.example/cb' })).toBeUndefined();
  });

  it('sender-constrained tokens, 60 s codes, no rotation unless chosen', () => {
    expect(perClient.tokenProblem(client(), { dpop: false, certificate: false })?.error).toBe('invalid_request');
    expect(perClient.tokenProblem(client(), { dpop: true, certificate: false })).toBeUndefined();
    expect(perClient.tokenProblem(client(), { dpop: false, certificate: true })).toBeUndefined();
    expect(perClient.codeLifetime(client(), 600)).toBe(60);
    expect(perClient.codeLifetime(client({ fapiProfile: null }), 600)).toBe(600);
    expect(perClient.rotatesRefreshTokens(client())).toBe(false);
    expect(everyClient.rotatesRefreshTokens(client())).toBe(true);
    expect(perClient.rotatesRefreshTokens(client({ fapiProfile: null }))).toBe(true);
  });
});
