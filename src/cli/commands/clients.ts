import { readFileSync } from 'node:fs';
import { CLI_CONTEXT } from '../../audit/audit-event.js';
import { clientMetadataView } from '../../clients/client-metadata.js';
import type { Client } from '../../clients/client.js';
import { parseDuration } from '../../oauth/duration.js';
import { SYSTEM } from '../../projects/authority.js';
import { parse, print, UsageError, withContainer, type Command, type CommandHelp } from '../args.js';

const OPTIONS = {
  name: { type: 'string', value: 'NAME', description: 'client_name shown on the consent page' },
  'redirect-uri': { type: 'string', multiple: true, value: 'URI', description: 'a redirect_uri, matched exactly' },
  'post-logout-redirect-uri': { type: 'string', multiple: true, value: 'URI', description: 'a post_logout_redirect_uri for RP-initiated logout' },
  origin: { type: 'string', multiple: true, value: 'ORIGIN', description: 'a browser origin allowed by CORS at the token, userinfo, revocation and introspection endpoints' },
  grant: { type: 'string', multiple: true, value: 'GRANT', description: 'a grant type: authorization_code, refresh_token, client_credentials, urn:ietf:params:oauth:grant-type:token-exchange, urn:ietf:params:oauth:grant-type:device_code (default client_credentials without redirect URIs)' },
  scope: { type: 'string', value: '"A B"', description: 'the scopes the client may request, space-separated' },
  resource: { type: 'string', multiple: true, value: 'URI', description: 'a resource (RFC 8707 audience) the client may request' },
  auth: {
    type: 'string',
    value: 'METHOD',
    description: 'token_endpoint_auth_method: client_secret_basic (default), client_secret_post, client_secret_jwt, private_key_jwt, tls_client_auth, self_signed_tls_client_auth, none',
  },
  'tls-subject-dn': { type: 'string', value: 'DN', description: 'tls_client_auth_subject_dn: the RFC 4514 subject of the client certificate (tls_client_auth)' },
  'tls-san-dns': { type: 'string', value: 'NAME', description: 'tls_client_auth_san_dns: a dNSName SAN of the client certificate (tls_client_auth)' },
  'tls-san-uri': { type: 'string', value: 'URI', description: 'tls_client_auth_san_uri: a URI SAN of the client certificate (tls_client_auth)' },
  'tls-san-ip': { type: 'string', value: 'IP', description: 'tls_client_auth_san_ip: an iPAddress SAN of the client certificate (tls_client_auth)' },
  'tls-san-email': { type: 'string', value: 'EMAIL', description: 'tls_client_auth_san_email: an rfc822Name SAN of the client certificate (tls_client_auth)' },
  'certificate-bound-tokens': { type: 'boolean', description: 'tls_client_certificate_bound_access_tokens: access tokens bound to the client certificate (RFC 8705 §3)' },
  public: { type: 'boolean', description: 'a public client (token_endpoint_auth_method none)' },
  'no-pkce': { type: 'boolean', description: 'do not require PKCE (confidential clients only)' },
  'skip-consent': { type: 'boolean', description: 'a first-party client: no consent page' },
  'client-id': { type: 'string', value: 'ID', description: 'choose the client_id (default: a generated UUID)' },
  secret: { type: 'string', value: 'SECRET', description: 'use this secret (stored as argon2id) instead of a generated one' },
  'jwks-uri': { type: 'string', value: 'URL', description: 'where the client publishes its keys (https)' },
  'subject-type': { type: 'string', value: 'public|pairwise', description: 'subject_type: pairwise gives this client its own sub for each user' },
  'sector-identifier-uri': { type: 'string', value: 'URL', description: 'sector_identifier_uri grouping pairwise subjects across hosts' },
  jwks: { type: 'string', value: 'FILE', description: 'a JSON file with the client\'s public keys ({"keys": […]})' },
  metadata: { type: 'string', value: 'FILE', description: 'a JSON file of RFC 7591 metadata; the other flags override it' },
  'id-token-alg': { type: 'string', value: 'ALG', description: 'id_token_signed_response_alg' },
  'userinfo-alg': { type: 'string', value: 'ALG', description: 'userinfo_signed_response_alg (signed userinfo as application/jwt)' },
  'introspection-alg': { type: 'string', value: 'ALG', description: 'introspection_signed_response_alg (RFC 9701)' },
  'authorization-alg': { type: 'string', value: 'ALG', description: 'authorization_signed_response_alg (JARM)' },
  'access-token-format': { type: 'string', value: 'jwt|opaque', description: 'access_token_format of the tokens this client gets (default jwt)' },
  'require-par': { type: 'boolean', description: 'require_pushed_authorization_requests: authorization requests must be pushed (RFC 9126)' },
  fapi: { type: 'boolean', description: 'put the client under the FAPI 2.0 Security Profile (fapi_profile: fapi2_security_profile)' },
  grace: { type: 'string', value: 'DURATION', description: 'rotate-secret: how long the previous secret stays valid (0, 3600, 30m, 24h; default 0)' },
  project: { type: 'string', value: 'ID', description: 'the project the client belongs to (default project unless named); list: only this project' },
  'backchannel-logout-uri': { type: 'string', value: 'URL', description: 'where logout tokens are POSTed (Back-Channel Logout)' },
  'backchannel-logout-session-required': { type: 'boolean', description: 'logout tokens must carry sid' },
  'frontchannel-logout-uri': { type: 'string', value: 'URL', description: 'loaded in an iframe on the logged-out page (Front-Channel Logout, https)' },
  'frontchannel-logout-session-required': { type: 'boolean', description: 'the front-channel URI gets iss and sid' },
} as const;

const METADATA_FLAGS = Object.keys(OPTIONS).filter((k) => k !== 'grace');

export const CLIENTS_HELP: CommandHelp = {
  name: 'clients',
  summary: 'OAuth clients: register, inspect, change, rotate secrets, delete.',
  subcommands: {
    create: { summary: 'register a client; a generated secret is shown once', flags: METADATA_FLAGS },
    list: { summary: 'every client (or one project\'s)', flags: ['project'] },
    show: { args: 'CLIENT_ID', summary: 'a client\'s metadata as JSON', flags: [] },
    update: { args: 'CLIENT_ID', summary: 'change metadata; flags not given keep their values', flags: METADATA_FLAGS.filter((k) => !['client-id', 'secret', 'project'].includes(k)) },
    'rotate-secret': { args: 'CLIENT_ID', summary: 'a new secret, shown once; --grace keeps the previous one valid a while', flags: ['grace', 'secret'] },
    delete: { args: 'CLIENT_ID', summary: 'delete the client with its grants and tokens', flags: [] },
  },
};

/** Builds RFC 7591 metadata from flags; `--metadata file.json` supplies a base document. */
function metadataFrom(values: ReturnType<typeof parse<typeof OPTIONS>>['values']): Record<string, unknown> {
  const m: Record<string, unknown> = values.metadata ? JSON.parse(readFileSync(values.metadata, 'utf8')) : {};
  if (values.name) m['client_name'] = values.name;
  if (values['redirect-uri']) m['redirect_uris'] = values['redirect-uri'];
  if (values['post-logout-redirect-uri']) m['post_logout_redirect_uris'] = values['post-logout-redirect-uri'];
  if (values.origin) m['allowed_origins'] = values.origin;
  if (values.grant) m['grant_types'] = values.grant;
  if (values.scope) m['scope'] = values.scope;
  if (values.resource) m['resources'] = values.resource;
  if (values.public) m['token_endpoint_auth_method'] = 'none';
  if (values.auth) m['token_endpoint_auth_method'] = values.auth;
  if (values['no-pkce']) m['pkce_required'] = false;
  if (values['skip-consent']) m['skip_consent'] = true;
  if (values['client-id']) m['client_id'] = values['client-id'];
  if (values.secret) m['client_secret'] = values.secret;
  if (values['jwks-uri']) m['jwks_uri'] = values['jwks-uri'];
  if (values.jwks) m['jwks'] = JSON.parse(readFileSync(values.jwks, 'utf8'));
  if (values['id-token-alg']) m['id_token_signed_response_alg'] = values['id-token-alg'];
  if (values['userinfo-alg']) m['userinfo_signed_response_alg'] = values['userinfo-alg'];
  if (values['introspection-alg']) m['introspection_signed_response_alg'] = values['introspection-alg'];
  if (values['authorization-alg']) m['authorization_signed_response_alg'] = values['authorization-alg'];
  if (values['access-token-format']) m['access_token_format'] = values['access-token-format'];
  if (values.fapi) m['fapi_profile'] = 'fapi2_security_profile';
  if (values['require-par']) m['require_pushed_authorization_requests'] = true;
  if (values['backchannel-logout-uri']) m['backchannel_logout_uri'] = values['backchannel-logout-uri'];
  if (values['backchannel-logout-session-required']) m['backchannel_logout_session_required'] = true;
  if (values['frontchannel-logout-uri']) m['frontchannel_logout_uri'] = values['frontchannel-logout-uri'];
  if (values['frontchannel-logout-session-required']) m['frontchannel_logout_session_required'] = true;
  if (values['subject-type']) m['subject_type'] = values['subject-type'];
  if (values['sector-identifier-uri']) m['sector_identifier_uri'] = values['sector-identifier-uri'];
  for (const [flag, field] of [
    ['tls-subject-dn', 'tls_client_auth_subject_dn'],
    ['tls-san-dns', 'tls_client_auth_san_dns'],
    ['tls-san-uri', 'tls_client_auth_san_uri'],
    ['tls-san-ip', 'tls_client_auth_san_ip'],
    ['tls-san-email', 'tls_client_auth_san_email'],
  ] as const) {
    if (values[flag]) m[field] = values[flag];
  }
  if (values['certificate-bound-tokens']) m['tls_client_certificate_bound_access_tokens'] = true;
  if (m['grant_types'] && !values.grant) return m;
  if (!m['grant_types'] && !m['redirect_uris']) m['grant_types'] = ['client_credentials'];
  return m;
}

const view = (client: Client): Record<string, unknown> => ({ ...clientMetadataView(client), project_id: client.projectId });

export const clientsCommand: Command = async (argv) => {
  const { values, positionals } = parse(argv, OPTIONS, CLIENTS_HELP);
  const [sub, id] = positionals;
  const needId = () => {
    if (!id) throw new UsageError(`usage: gatehouse clients ${sub} <client_id>`);
    return id;
  };
  return withContainer(values.config, async (c) => {
    switch (sub) {
      case 'create': {
        const metadata = { ...metadataFrom(values), ...(values.project ? { project_id: values.project } : {}) };
        const created = await c.projectClients.create(SYSTEM, metadata, CLI_CONTEXT);
        const out = { ...view(created.client), ...(created.clientSecret ? { client_secret: created.clientSecret } : {}) };
        print(values.json, out, () =>
          [`client_id: ${created.client.clientId}`, ...(created.clientSecret ? [`client_secret (shown once): ${created.clientSecret}`] : [])].join('\n'),
        );
        return 0;
      }
      case 'list': {
        const all = (await c.projectClients.list(SYSTEM, values.project)).map(view);
        print(values.json, all, () =>
          all.map((x) => `${String(x['client_id']).padEnd(38)} ${String(x['token_endpoint_auth_method']).padEnd(20)} ${String(x['client_name'])}`).join('\n'),
        );
        return 0;
      }
      case 'show': {
        print(true, view(await c.clients.get(needId())), () => '');
        return 0;
      }
      case 'update': {
        const current = clientMetadataView(await c.clients.get(needId()));
        const base = Object.fromEntries(
          Object.entries(current).filter(([k]) => !['client_id', 'client_id_issued_at', 'client_type', 'is_default', 'project_id'].includes(k)),
        );
        const updated = await c.clients.update(needId(), { ...base, ...metadataFrom({ ...values, grant: values.grant ?? (current['grant_types'] as string[]) }) }, 'operator', CLI_CONTEXT);
        print(values.json, clientMetadataView(updated), () => `updated ${updated.clientId}`);
        return 0;
      }
      case 'rotate-secret': {
        const grace = parseDuration(values.grace ?? '0');
        if (grace === undefined) throw new UsageError('--grace must be a duration like 0, 3600, 30m or 24h');
        const r = await c.clients.rotateSecret(needId(), grace, values.secret, CLI_CONTEXT);
        print(values.json, { client_id: id, client_secret: r.clientSecret, previous_secret_valid_until: r.previousValidUntil }, () =>
          `client_secret (shown once): ${r.clientSecret}\nprevious secrets valid until ${new Date(r.previousValidUntil * 1000).toISOString()}`,
        );
        return 0;
      }
      case 'delete':
        await c.clients.delete(needId(), CLI_CONTEXT);
        print(values.json, { deleted: id }, () => `deleted ${id}`);
        return 0;
      default:
        throw new UsageError('usage: gatehouse clients create|list|show|update|rotate-secret|delete');
    }
  });
};
