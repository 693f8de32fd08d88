/** OpenAPI documentation of the browser endpoints: authorization, interactions (login, consent, …) and logout. */
import { Type } from '@sinclair/typebox';
import { FORM, formFields, pageResponses } from './common.js';
import { documented } from './documented.js';

const AUTHORIZE_FIELDS = {
  response_type: 'code',
  client_id: 'the client',
  redirect_uri: 'a registered redirect URI',
  scope: 'space-separated scopes (openid for OpenID Connect)',
  state: 'opaque value returned to the client',
  code_challenge: 'PKCE challenge (RFC 7636)',
  code_challenge_method: 'S256',
  nonce: 'OIDC nonce, echoed in the ID token',
  prompt: 'none, login, consent, select_account or create',
  response_mode: 'query, fragment, form_post or a JARM mode',
  request: 'a request object (JWT, by value)',
  login_hint: 'email to prefill',
  max_age: 'maximum authentication age in seconds',
  claims: 'OIDC claims request (JSON)',
  ui_locales: 'preferred languages',
  resource: 'RFC 8707 resource indicator',
  dpop_jkt: 'RFC 9449 §10: JWK thumbprint of the DPoP key the token request will use',
};

const authorize = (method: 'GET' | 'POST') =>
  documented({
    summary: `Authorization endpoint (${method})`,
    description: 'RFC 6749 §4.1 / OIDC Core §3.1.2: each parameter at most once. Answers with a sign-in, consent or account page, or a redirect to the client; errors before the redirect URI is verified are HTML pages.',
    tags: ['OAuth 2.1'],
    security: [],
    ...(method === 'GET' ? { querystring: formFields(AUTHORIZE_FIELDS, ['client_id']) } : { consumes: [FORM], body: formFields(AUTHORIZE_FIELDS, ['client_id']) }),
    produces: ['text/html'],
    response: pageResponses('sign-in, consent or account page, or a form_post page'),
  });
export const authorizeGetSchema = authorize('GET');
export const authorizePostSchema = authorize('POST');

const step = (name: string, fields: Record<string, string>) =>
  documented({
    summary: `Interaction: ${name}`,
    description: 'A form on the interaction pages; carries the interaction cookie and its CSRF token. Cross-site posts are refused.',
    tags: ['Interaction (browser)'],
    security: [],
    params: Type.Object({ id: Type.String({ description: 'interaction id' }) }),
    consumes: [FORM],
    body: formFields({ csrf: 'the CSRF token of the page', ...fields }, ['csrf']),
    produces: ['text/html'],
    response: pageResponses('the next interaction page, or the authorization response'),
  });
export const interactionSchemas = {
  login: step('sign in', { email: 'account email', password: 'account password' }),
  consent: step('consent', { decision: 'allow or deny' }),
  signup: step('create an account', { email: 'account email', name: 'display name', password: 'new password' }),
  select: step('choose an account', { session: 'a held session, or another' }),
  cancel: step('cancel', {}),
};

const LOGOUT_FIELDS = {
  id_token_hint: 'an ID token the client received',
  post_logout_redirect_uri: 'a registered post-logout redirect URI',
  state: 'passed back on the redirect',
  client_id: 'the client',
  ui_locales: 'preferred languages',
  logout_hint: 'hint about the session',
};
export const logoutGetSchema = documented({
  summary: 'End session (GET)',
  description: 'OpenID Connect RP-Initiated Logout 1.0: asks the person to confirm unless the request is trusted.',
  tags: ['OpenID Connect'],
  security: [],
  querystring: formFields(LOGOUT_FIELDS),
  produces: ['text/html'],
  response: pageResponses('confirmation or signed-out page (front-channel logout frames included)'),
});
export const logoutPostSchema = documented({
  summary: 'End session (POST)',
  description: 'OpenID Connect RP-Initiated Logout 1.0; the confirmation form posts here with its CSRF token.',
  tags: ['OpenID Connect'],
  security: [],
  consumes: [FORM],
  body: formFields({ ...LOGOUT_FIELDS, csrf: 'the confirmation page’s token' }),
  produces: ['text/html'],
  response: pageResponses('signed-out page'),
});
