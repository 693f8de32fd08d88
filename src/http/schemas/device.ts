/** OpenAPI documentation of the Device Authorization Grant (RFC 8628): the endpoint and the verification page. */
import { Type } from '@sinclair/typebox';
import { apiErrors, FORM, formFields, JSON_TYPE, pageResponses } from './common.js';
import { documented } from './documented.js';

const DeviceAuthorizationResponse = Type.Object(
  {
    device_code: Type.String({ description: 'the code the device polls the token endpoint with' }),
    user_code: Type.String({ description: 'the code the person enters at verification_uri: two groups of four letters joined by a dash' }),
    verification_uri: Type.String(),
    verification_uri_complete: Type.String({ description: 'verification_uri with the user code pre-filled' }),
    expires_in: Type.Integer(),
    interval: Type.Integer({ description: 'seconds between polls' }),
  },
  { description: 'RFC 8628 §3.2 device authorization response', additionalProperties: true },
);

export const deviceAuthorizationSchema = documented({
  summary: 'Device authorization endpoint',
  description:
    'RFC 8628 §3.1: a device asks for a device code and a user code. Clients authenticate as at the token endpoint; public clients send client_id; the client must be registered for urn:ietf:params:oauth:grant-type:device_code.',
  tags: ['OAuth 2.1'],
  security: [{ clientSecretBasic: [] }, {}],
  consumes: [FORM],
  body: formFields({ client_id: 'the client', scope: 'space-separated scopes', resource: 'RFC 8707 resource indicator', client_secret: 'client_secret_post' }),
  produces: [JSON_TYPE],
  response: { 200: DeviceAuthorizationResponse, ...apiErrors(401) },
});

export const devicePageGetSchema = documented({
  summary: 'Device verification page',
  description: 'RFC 8628 §3.3: the form where the person enters the user code; user_code (verification_uri_complete) pre-fills it.',
  tags: ['Interaction (browser)'],
  security: [],
  querystring: formFields({ user_code: 'the user code to pre-fill' }),
  produces: ['text/html'],
  response: pageResponses('the user code form'),
});

export const devicePagePostSchema = documented({
  summary: 'Device verification page (submit)',
  description: 'Looks the user code up (rate-limited per address) and continues with sign-in and consent.',
  tags: ['Interaction (browser)'],
  security: [],
  consumes: [FORM],
  body: formFields({ csrf: 'the CSRF token of the page', user_code: 'the user code' }, ['csrf']),
  produces: ['text/html'],
  response: pageResponses('the sign-in or consent page, or the form with an error'),
});
