/** OpenAPI documentation of the OAuth 2.1 / OpenID Connect API endpoints (token, introspection, revocation, userinfo, registration). */
import { Type } from '@sinclair/typebox';
import { apiErrors, FORM, formFields, JSON_TYPE, NoContent } from './common.js';
import { documented } from './documented.js';

/** RFC 6749 §2.3: client_secret_basic, or one of the body methods; OpenAPI cannot express a credential in a form body. */
const CLIENT_AUTH: Record<string, string[]>[] = [{ clientSecretBasic: [] }, {}];
const CLIENT_AUTH_NOTE =
  'Client authentication (RFC 6749 §2.3, OIDC Core §9): client_secret_basic (the clientSecretBasic scheme), ' +
  'client_secret_post (client_id and client_secret in the form), private_key_jwt / client_secret_jwt ' +
  '(client_assertion_type and client_assertion, RFC 7523), tls_client_auth / self_signed_tls_client_auth (client_id ' +
  'and a client certificate, RFC 8705; only when mTLS is configured), or none (a public client sends client_id and uses PKCE).';
const clientAuthExtension = { 'x-client-authentication': ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'client_secret_jwt', 'tls_client_auth', 'self_signed_tls_client_auth', 'none'] } as const;

const CLIENT_FIELDS = {
  client_id: 'client identifier (client_secret_post, assertions, public clients)',
  client_secret: 'client_secret_post: the client secret',
  client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
  client_assertion: 'a signed JWT authenticating the client (RFC 7523 §2.2)',
};

const TokenRequest = formFields(
  {
    grant_type: 'authorization_code, refresh_token, client_credentials or urn:ietf:params:oauth:grant-type:token-exchange',
    code: 'authorization_code: the code from the authorization response',
    redirect_uri: 'authorization_code: identical to the one in the authorization request',
    code_verifier: 'authorization_code: the PKCE verifier (RFC 7636)',
    refresh_token: 'refresh_token: the refresh token (rotated on use)',
    scope: 'space-separated scopes (client_credentials, or narrowing a refresh)',
    resource: 'RFC 8707 resource indicator',
    subject_token: 'token exchange (RFC 8693): the token to exchange',
    subject_token_type: 'token exchange: urn:ietf:params:oauth:token-type:access_token or id_token',
    actor_token: 'token exchange: the token of the acting party (delegation)',
    actor_token_type: 'token exchange: the type of actor_token',
    requested_token_type: 'token exchange: access_token (default) or jwt',
    audience: 'token exchange: the target audience (one of the client resources)',
    ...CLIENT_FIELDS,
  },
  ['grant_type'],
);

const TokenResponse = Type.Object(
  {
    access_token: Type.String(),
    token_type: Type.String({ description: 'Bearer, or DPoP for a DPoP-bound token (RFC 9449 §5)' }),
    expires_in: Type.Integer(),
    refresh_token: Type.Optional(Type.String()),
    id_token: Type.Optional(Type.String({ description: 'OpenID Connect ID token (a JWS)' })),
    scope: Type.Optional(Type.String()),
    issued_token_type: Type.Optional(Type.String({ description: 'RFC 8693 §2.2.1 (token exchange)' })),
  },
  { description: 'RFC 6749 §5.1 token response', additionalProperties: true },
);

export const tokenSchema = documented({
  summary: 'Token endpoint',
  description: `RFC 6749 §3.2 / OAuth 2.1: exchanges a grant for tokens. ${CLIENT_AUTH_NOTE}`,
  tags: ['OAuth 2.1'],
  security: CLIENT_AUTH,
  extensions: clientAuthExtension,
  consumes: [FORM],
  body: TokenRequest,
  response: { 200: TokenResponse, ...apiErrors(401, 429, 503) },
});

export const parSchema = documented({
  summary: 'Pushed authorization request',
  description: `RFC 9126: the authorization request's parameters pushed with client authentication; every check of the authorization endpoint runs here. The answer's request_uri is then sent to the authorization endpoint with client_id. ${CLIENT_AUTH_NOTE}`,
  tags: ['OAuth 2.1'],
  security: CLIENT_AUTH,
  extensions: clientAuthExtension,
  consumes: [FORM],
  body: formFields(
    {
      response_type: 'code',
      redirect_uri: 'a redirect URI registered for the client',
      scope: 'space-separated scopes',
      state: 'opaque value returned with the authorization response',
      code_challenge: 'PKCE S256 challenge (RFC 7636)',
      code_challenge_method: 'S256',
      request: 'a request object (RFC 9101) carrying the parameters',
      ...CLIENT_FIELDS,
    },
    [],
  ),
  response: {
    201: Type.Object({ request_uri: Type.String({ description: 'urn:ietf:params:oauth:request_uri:…' }), expires_in: Type.Integer() }, { description: 'RFC 9126 §2.2' }),
    ...apiErrors(401, 429, 503),
  },
});

export const introspectSchema = documented({
  summary: 'Token introspection',
  description: `RFC 7662 (JSON) or RFC 9701 (application/token-introspection+jwt when the Accept header asks for it). ${CLIENT_AUTH_NOTE}`,
  tags: ['OAuth 2.1'],
  security: CLIENT_AUTH,
  extensions: clientAuthExtension,
  consumes: [FORM],
  body: formFields({ token: 'the token to introspect', token_type_hint: 'access_token or refresh_token', ...CLIENT_FIELDS }, ['token']),
  produces: [JSON_TYPE, 'application/token-introspection+jwt'],
  response: {
    200: Type.Object({ active: Type.Boolean() }, { description: 'RFC 7662 §2.2 (or a signed JWT, RFC 9701)', additionalProperties: true }),
    ...apiErrors(401, 429, 503),
  },
});

export const revokeSchema = documented({
  summary: 'Token revocation',
  description: `RFC 7009: always 200 for a token that is unknown or already revoked. ${CLIENT_AUTH_NOTE}`,
  tags: ['OAuth 2.1'],
  security: CLIENT_AUTH,
  extensions: clientAuthExtension,
  consumes: [FORM],
  body: formFields({ token: 'the token to revoke', token_type_hint: 'access_token or refresh_token', ...CLIENT_FIELDS }, ['token']),
  response: { 200: Type.Null({ description: 'revoked (or unknown)' }), ...apiErrors(401, 429, 503) },
});

export const preflightSchema = documented({
  summary: 'CORS preflight',
  description: 'Answered for the origins registered by clients (allowed_origins).',
  tags: ['OAuth 2.1'],
  security: [],
  response: { 204: NoContent },
});

const Claims = Type.Object({ sub: Type.String() }, { description: 'OIDC Core §5.3.2 claims (or application/jwt when the client asked for signed userinfo)', additionalProperties: true });

const userinfo = (method: 'GET' | 'POST') =>
  documented({
    summary: `UserInfo (${method})`,
    description: 'OpenID Connect Core §5.3; the access token in the Authorization header (RFC 6750 §2.1)' + (method === 'POST' ? ' or, once, as access_token in a form body (§2.2).' : '.'),
    tags: ['OpenID Connect'],
    security: [{ accessToken: [] }],
    ...(method === 'POST' ? { consumes: [FORM], body: formFields({ access_token: 'RFC 6750 §2.2 (instead of the header)' }) } : {}),
    produces: [JSON_TYPE, 'application/jwt'],
    response: { 200: Claims, ...apiErrors(401, 403) },
  });
export const userinfoGetSchema = userinfo('GET');
export const userinfoPostSchema = userinfo('POST');

const ClientMetadata = Type.Object(
  {
    redirect_uris: Type.Optional(Type.Array(Type.String())),
    client_name: Type.Optional(Type.String()),
    token_endpoint_auth_method: Type.Optional(Type.String()),
    grant_types: Type.Optional(Type.Array(Type.String())),
    response_types: Type.Optional(Type.Array(Type.String())),
    scope: Type.Optional(Type.String()),
  },
  { description: 'RFC 7591 §2 / OIDC Registration §2 client metadata', additionalProperties: true },
);
const RegisteredClient = Type.Object(
  {
    client_id: Type.String(),
    client_secret: Type.Optional(Type.String({ description: 'confidential clients, at creation only' })),
    registration_access_token: Type.Optional(Type.String({ description: 'at creation only' })),
    registration_client_uri: Type.String(),
  },
  { description: 'RFC 7591 §3.2.1 client information', additionalProperties: true },
);
const ClientIdParam = Type.Object({ clientId: Type.String() });

export const registerSchema = documented({
  summary: 'Dynamic client registration',
  description: 'RFC 7591; open, or with an initial access token as a bearer token, as configured.',
  tags: ['Client registration'],
  security: [{ initialAccessToken: [] }, {}],
  consumes: [JSON_TYPE],
  body: ClientMetadata,
  response: { 201: RegisteredClient, ...apiErrors(401, 429) },
});

const configuration = (summary: string, extra: Partial<Parameters<typeof documented>[0]>) =>
  documented({
    summary,
    description: 'RFC 7592 client configuration endpoint; the registration access token decides.',
    tags: ['Client registration'],
    security: [{ registrationAccessToken: [] }],
    params: ClientIdParam,
    response: { 200: RegisteredClient, ...apiErrors(401) },
    ...extra,
  });
export const registrationReadSchema = configuration('Read a registered client', {});
export const registrationUpdateSchema = configuration('Update a registered client', { consumes: [JSON_TYPE], body: ClientMetadata });
export const registrationDeleteSchema = configuration('Delete a registered client', { response: { 204: NoContent, ...apiErrors(401) } });
