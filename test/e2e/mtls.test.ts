/**
 * Mutual TLS (RFC 8705, issue 11) through `gatehouse serve`: Gatehouse terminating TLS itself (server.tls) with a
 * PKI made at test time, clients over undici and openid-client v6; and the reverse-proxy header, honoured only
 * from a server.trustProxy address.
 */
import { createHash, createPublicKey, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { Agent, fetch as undiciFetch } from 'undici';
import { parse, stringify } from 'yaml';
import { createDeployment, DIALECTS, freePort, type Deployment, type ServerProcess } from '../helpers/server.js';
import { postgresAvailable } from '../helpers/postgres.js';
import { Browser, authorizeFlow } from '../helpers/flow.js';
import { issue, selfSigned, type Issued } from '../helpers/pki.js';

const pg = await postgresAvailable();
const REDIRECT = 'http://localhost:8080/callback';
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const DN = 'CN=alice,O=Gatehouse Test';

const thumbprint = (pem: string) => createHash('sha256').update(new X509Certificate(pem).raw).digest('base64url');
const claimsOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;

const dir = mkdtempSync(join(tmpdir(), 'gatehouse-pki-'));
const ca = selfSigned(dir, 'ca', '/CN=Gatehouse Test CA', true);
const otherCa = selfSigned(dir, 'other-ca', '/CN=Other CA', true);
const serverCert = issue(dir, ca, 'server', '/CN=localhost', ['subjectAltName=DNS:localhost,IP:127.0.0.1']);
const alice = issue(dir, ca, 'alice', '/O=Gatehouse Test/CN=alice', ['subjectAltName=DNS:alice.example.com']);
const bob = issue(dir, ca, 'bob', '/O=Gatehouse Test/CN=bob', ['subjectAltName=DNS:bob.example.com']);
// Same subject and SAN as alice, from a CA the server does not trust.
const stranger = issue(dir, otherCa, 'stranger', '/O=Gatehouse Test/CN=alice', ['subjectAltName=DNS:alice.example.com']);
const selfA = selfSigned(dir, 'self-a', '/CN=self-a');
const selfB = selfSigned(dir, 'self-b', '/CN=self-b');
const jwksFile = join(dir, 'self-a.jwks.json');
writeFileSync(jwksFile, JSON.stringify({ keys: [createPublicKey(selfA.key).export({ format: 'jwk' })] }));

const agents: Agent[] = [];
/** An undici dispatcher trusting the test CA, presenting `id` as client certificate when given. */
function agent(id?: Issued): Agent {
  const a = new Agent({ connect: { ca: ca.cert, ...(id ? { cert: id.cert, key: id.key } : {}) } });
  agents.push(a);
  return a;
}

afterAll(async () => {
  await Promise.all(agents.map((a) => a.close()));
  rmSync(dir, { recursive: true, force: true });
});

async function post(url: string, form: Record<string, string>, dispatcher?: Agent, headers: Record<string, string> = {}) {
  const res = await undiciFetch(url, { method: 'POST', headers: { ...FORM, ...headers }, body: new URLSearchParams(form).toString(), ...(dispatcher ? { dispatcher } : {}) });
  return { status: res.status, json: (await res.json().catch(() => ({}))) as Record<string, unknown> };
}

async function create(dep: Deployment, args: string[]): Promise<{ client_id: string }> {
  const created = await dep.cli(['clients', 'create', ...args, '--json']);
  expect(created.code, created.stderr).toBe(0);
  return JSON.parse(created.stdout) as { client_id: string };
}

/** openid-client v6 with undici carrying the client certificate (client.customFetch). */
async function oidcClient(base: string, clientId: string, id: Issued) {
  const dispatcher = agent(id);
  const fetcher = ((url: string, options: Record<string, unknown>) => undiciFetch(url, { ...options, dispatcher })) as unknown as client.CustomFetch;
  const config = await client.discovery(new URL(base), clientId, undefined, client.TlsClientAuth(), { [client.customFetch]: fetcher });
  config[client.customFetch] = fetcher;
  return config;
}

describe.each(DIALECTS)('mutual TLS, Gatehouse terminating TLS (%s)', (dialect) => {
  const skip = dialect === 'postgres' && !pg;
  let dep: Deployment;
  let base: string;
  let dnClient: { client_id: string };
  let sanClient: { client_id: string };
  let boundClient: { client_id: string };
  let selfClient: { client_id: string };
  let publicClient: { client_id: string };
  beforeAll(async () => {
    if (skip) return;
    const port = await freePort();
    base = `https://127.0.0.1:${port}`;
    dep = await createDeployment(dialect, {
      server: { port, issuer: base, tls: { certFile: serverCert.certFile, keyFile: serverCert.keyFile, clientCaFile: ca.certFile } },
    });
    await dep.serve(port);
    const cc = ['--grant', 'client_credentials', '--scope', 'api:read'];
    dnClient = await create(dep, [...cc, '--auth', 'tls_client_auth', '--tls-subject-dn', DN]);
    sanClient = await create(dep, [...cc, '--auth', 'tls_client_auth', '--tls-san-dns', 'alice.example.com']);
    boundClient = await create(dep, [...cc, '--auth', 'tls_client_auth', '--tls-subject-dn', DN, '--certificate-bound-tokens']);
    selfClient = await create(dep, [...cc, '--auth', 'self_signed_tls_client_auth', '--jwks', jwksFile]);
    publicClient = await create(dep, ['--public', '--certificate-bound-tokens', '--redirect-uri', REDIRECT, '--grant', 'authorization_code', '--grant', 'refresh_token', '--scope', 'openid profile offline_access']);
  });
  afterAll(async () => dep?.cleanup());

  it.skipIf(skip)('serves https on one listener; discovery advertises RFC 8705 (no aliases when not configured)', async () => {
    const res = await undiciFetch(`${base}/.well-known/openid-configuration`, { dispatcher: agent() });
    const doc = (await res.json()) as Record<string, unknown>;
    expect(doc['issuer']).toBe(base);
    expect(doc['token_endpoint']).toBe(`${base}/oauth/token`);
    expect(doc['tls_client_certificate_bound_access_tokens']).toBe(true);
    for (const key of ['token_endpoint_auth_methods_supported', 'introspection_endpoint_auth_methods_supported', 'revocation_endpoint_auth_methods_supported']) {
      expect(doc[key]).toEqual(expect.arrayContaining(['tls_client_auth', 'self_signed_tls_client_auth']));
    }
    expect(doc['mtls_endpoint_aliases']).toBeUndefined();
  });

  it.skipIf(skip)('tls_client_auth: subject DN and SAN match with a certificate from the client CA (openid-client)', async () => {
    for (const c of [dnClient, sanClient]) {
      const tokens = await client.clientCredentialsGrant(await oidcClient(base, c.client_id, alice), { scope: 'api:read' });
      expect(claimsOf(tokens.access_token)).toMatchObject({ client_id: c.client_id, scope: 'api:read' });
      // Not registered for bound tokens and the server does not force them.
      expect(claimsOf(tokens.access_token)['cnf']).toBeUndefined();
    }
  });

  it.skipIf(skip)('tls_client_auth: a wrong subject, another CA, or no certificate is invalid_client', async () => {
    for (const [c, id] of [
      [dnClient, bob],
      [sanClient, bob],
      [dnClient, stranger],
      [sanClient, stranger],
      [dnClient, undefined],
    ] as const) {
      const res = await post(`${base}/oauth/token`, { grant_type: 'client_credentials', client_id: c.client_id }, agent(id));
      expect(res.status).toBe(401);
      expect(res.json['error']).toBe('invalid_client');
    }
    // openid-client sees the same refusal.
    await expect(client.clientCredentialsGrant(await oidcClient(base, dnClient.client_id, stranger), {})).rejects.toMatchObject({ error: 'invalid_client' });
  });

  it.skipIf(skip)('self_signed_tls_client_auth: the registered key succeeds, another key is refused', async () => {
    const tokens = await client.clientCredentialsGrant(await oidcClient(base, selfClient.client_id, selfA), { scope: 'api:read' });
    expect(claimsOf(tokens.access_token)['client_id']).toBe(selfClient.client_id);
    const refused = await post(`${base}/oauth/token`, { grant_type: 'client_credentials', client_id: selfClient.client_id }, agent(selfB));
    expect(refused.status).toBe(401);
    expect(refused.json['error']).toBe('invalid_client');
  });

  it.skipIf(skip)('certificate-bound access tokens: cnf x5t#S256, shown by introspection (also mTLS-authenticated)', async () => {
    const tokens = await client.clientCredentialsGrant(await oidcClient(base, boundClient.client_id, alice), { scope: 'api:read' });
    expect(claimsOf(tokens.access_token)['cnf']).toEqual({ 'x5t#S256': thumbprint(alice.cert) });
    const introspected = await post(`${base}/oauth/introspect`, { token: tokens.access_token, client_id: boundClient.client_id }, agent(alice));
    expect(introspected.status).toBe(200);
    expect(introspected.json).toMatchObject({ active: true, cnf: { 'x5t#S256': thumbprint(alice.cert) } });
    const revoked = await post(`${base}/oauth/revoke`, { token: tokens.access_token, client_id: boundClient.client_id }, agent(alice));
    expect(revoked.status).toBe(200);
  });

  it.skipIf(skip)('a public client over mTLS: bound access token at userinfo, bound refresh token (RFC 8705 §3, §4)', async () => {
    const browserAgent = agent();
    const realFetch = globalThis.fetch;
    // The scripted browser uses global fetch: route it through a dispatcher that trusts the test CA.
    globalThis.fetch = ((url: string, init?: Record<string, unknown>) => undiciFetch(url, { ...init, dispatcher: browserAgent })) as unknown as typeof fetch;
    let flow: Awaited<ReturnType<typeof authorizeFlow>>;
    try {
      flow = await authorizeFlow(new Browser(base), { clientId: publicClient.client_id, redirectUri: REDIRECT, scope: 'openid profile offline_access' });
    } finally {
      globalThis.fetch = realFetch;
    }
    const exchange = { grant_type: 'authorization_code', code: flow.code!, code_verifier: flow.verifier, redirect_uri: REDIRECT, client_id: publicClient.client_id };
    // Registered for bound tokens: without a certificate there is no token (and the code is not spent).
    const unbound = await post(`${base}/oauth/token`, exchange, agent());
    expect(unbound.status).toBe(400);
    expect(unbound.json['error']).toBe('invalid_request');
    const tokens = await post(`${base}/oauth/token`, exchange, agent(alice));
    expect(tokens.status, JSON.stringify(tokens.json)).toBe(200);
    const at = tokens.json['access_token'] as string;
    expect(claimsOf(at)['cnf']).toEqual({ 'x5t#S256': thumbprint(alice.cert) });

    const userinfo = async (dispatcher: Agent) => {
      const res = await undiciFetch(`${base}/oauth/userinfo`, { headers: { authorization: `Bearer ${at}` }, dispatcher });
      return { status: res.status, body: (await res.json()) as Record<string, unknown>, challenge: res.headers.get('www-authenticate') };
    };
    const ok = await userinfo(agent(alice));
    expect(ok.status).toBe(200);
    expect(ok.body['sub']).toBeTypeOf('string');
    for (const other of [agent(), agent(bob)]) {
      const refused = await userinfo(other);
      expect(refused.status).toBe(401);
      expect(refused.body['error']).toBe('invalid_token');
    }

    const refresh = { grant_type: 'refresh_token', refresh_token: tokens.json['refresh_token'] as string, client_id: publicClient.client_id };
    const stolen = await post(`${base}/oauth/token`, refresh, agent(bob));
    expect(stolen.status).toBe(400);
    expect(stolen.json['error']).toBe('invalid_grant');
    const rotated = await post(`${base}/oauth/token`, refresh, agent(alice));
    expect(rotated.status, JSON.stringify(rotated.json)).toBe(200);
    expect(claimsOf(rotated.json['access_token'] as string)['cnf']).toEqual({ 'x5t#S256': thumbprint(alice.cert) });
  });

  it.skipIf(skip)('dynamic registration (RFC 7591) of a tls_client_auth client, which then authenticates', async () => {
    const res = await undiciFetch(`${base}/oauth/register`, {
      method: 'POST',
      dispatcher: agent(),
      headers: { 'content-type': 'application/json', authorization: 'Bearer test-initial-access-token-0123456789' },
      body: JSON.stringify({ grant_types: ['client_credentials'], token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_san_dns: 'bob.example.com', tls_client_certificate_bound_access_tokens: true }),
    });
    const registered = (await res.json()) as Record<string, unknown>;
    expect(res.status, JSON.stringify(registered)).toBe(201);
    expect(registered).toMatchObject({ tls_client_auth_san_dns: 'bob.example.com', tls_client_certificate_bound_access_tokens: true });
    expect(registered['client_secret']).toBeUndefined();
    const ok = await post(`${base}/oauth/token`, { grant_type: 'client_credentials', client_id: registered['client_id'] as string }, agent(bob));
    expect(ok.status).toBe(200);
    expect(claimsOf(ok.json['access_token'] as string)['cnf']).toEqual({ 'x5t#S256': thumbprint(bob.cert) });
    expect((await post(`${base}/oauth/token`, { grant_type: 'client_credentials', client_id: registered['client_id'] as string }, agent(alice))).status).toBe(401);
  });

  it.skipIf(skip)('registration: exactly one subject field, and the metadata round-trips', async () => {
    const both = await dep.cli(['clients', 'create', '--grant', 'client_credentials', '--auth', 'tls_client_auth', '--tls-subject-dn', DN, '--tls-san-dns', 'a.example.com']);
    expect(both.code).not.toBe(0);
    expect(both.stderr + both.stdout).toMatch(/exactly one/);
    const shown = await dep.cli(['clients', 'show', boundClient.client_id]);
    expect(JSON.parse(shown.stdout)).toMatchObject({
      token_endpoint_auth_method: 'tls_client_auth',
      tls_client_auth_subject_dn: DN,
      tls_client_certificate_bound_access_tokens: true,
    });
  });
});

describe.each(DIALECTS)('mutual TLS behind a reverse proxy (%s)', (dialect) => {
  const skip = dialect === 'postgres' && !pg;
  let dep: Deployment;
  let srv: ServerProcess;
  let dnClient: { client_id: string };
  beforeAll(async () => {
    if (skip) return;
    dep = await createDeployment(dialect, {
      server: { trustProxy: '127.0.0.1', mtls: { certificateHeader: 'x-client-cert', clientCaFile: ca.certFile } },
    });
    srv = await dep.serve();
    dnClient = await create(dep, ['--grant', 'client_credentials', '--scope', 'api:read', '--auth', 'tls_client_auth', '--tls-subject-dn', DN]);
  });
  afterAll(async () => dep?.cleanup());

  const tokenWith = (cert: string) =>
    post(`${srv.url}/oauth/token`, { grant_type: 'client_credentials', client_id: dnClient.client_id }, undefined, { 'x-client-cert': encodeURIComponent(cert) });

  it.skipIf(skip)('the header (nginx $ssl_client_escaped_cert) is honoured from a trusted proxy address', async () => {
    const ok = await tokenWith(alice.cert);
    expect(ok.status, JSON.stringify(ok.json)).toBe(200);
    expect((await tokenWith(bob.cert)).status).toBe(401);
    expect((await tokenWith(stranger.cert)).status).toBe(401);
    const doc = (await (await fetch(`${srv.url}/.well-known/oauth-authorization-server`)).json()) as Record<string, unknown>;
    expect(doc['token_endpoint_auth_methods_supported']).toEqual(expect.arrayContaining(['tls_client_auth']));
  });

  it.skipIf(skip)('the header is ignored when the peer is not a trusted proxy', async () => {
    await srv.stop();
    const config = parse(readFileSync(dep.configPath, 'utf8')) as { server: Record<string, unknown> };
    config.server['trustProxy'] = '10.9.9.9';
    writeFileSync(dep.configPath, stringify(config));
    srv = await dep.serve();
    const refused = await tokenWith(alice.cert);
    expect(refused.status).toBe(401);
    expect(refused.json['error']).toBe('invalid_client');
  });
});
