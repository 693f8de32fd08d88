/** Store fixtures shared by the contract tests. */
import { randomUUID } from 'node:crypto';
import type { Client } from '../../src/clients/client.js';

/** The default project of the database under test (migration 0003 creates it): clients need a project. */
const NOW = 1_800_000_000;
let defaultProjectId = '';

/** Sets the project sampleClient() puts clients in (migration 0003 creates a default one per database). */
export function useProject(id: string): void {
  defaultProjectId = id;
}

export function sampleClient(overrides: Partial<Client> = {}): Client {
  return {
    clientId: `c-${randomUUID()}`,
    projectId: defaultProjectId,
    name: 'Sample',
    clientType: 'confidential',
    tokenEndpointAuthMethod: 'client_secret_basic',
    tokenEndpointAuthSigningAlg: null,
    secretEnc: null,
    redirectUris: ['https://app.example.com/cb'],
    postLogoutRedirectUris: [],
    allowedOrigins: ['https://app.example.com'],
    grantTypes: ['authorization_code', 'client_credentials'],
    responseTypes: ['code'],
    scopes: ['openid', 'api:read'],
    resources: [],
    pkceRequired: true,
    isDefault: false,
    skipConsent: false,
    jwks: null,
    jwksUri: null,
    idTokenSignedResponseAlg: null,
    userinfoSignedResponseAlg: null,
    introspectionSignedResponseAlg: null,
    accessTokenFormat: 'jwt',
    fapiProfile: null,
    requirePushedAuthorizationRequests: false,
    authorizationSignedResponseAlg: null,
    accessTokenTtl: null,
    refreshTokenTtl: null,
    idTokenTtl: null,
    applicationType: 'web',
    requestObjectSigningAlg: null,
    defaultMaxAge: null,
    requireAuthTime: false,
    registrationAccessTokenHash: null,
    metadata: { client_uri: 'https://app.example.com' },
    createdAt: NOW,
    updatedAt: NOW,
    ...overrides,
  };
}
