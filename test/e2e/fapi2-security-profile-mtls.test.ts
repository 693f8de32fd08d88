/**
 * FAPI 2.0 Security Profile (Final), the mTLS client authentication + mTLS sender-constraint variant, through
 * `gatehouse serve` terminating TLS with a PKI made at test time (test/helpers/pki.ts). Client credentials
 * (the plan's fapi_client_credentials_grant profile) and the pushed request; names follow the suite's modules.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { Agent, fetch as undiciFetch } from 'undici';
import { createDeployment, DIALECTS, freePort, type Deployment } from '../helpers/server.js';
import { postgresAvailable } from '../helpers/postgres.js';
import { pkce } from '../helpers/flow.js';
import { issue, selfSigned, type Issued } from '../helpers/pki.js';

const pg = await postgresAvailable();
const DN = 'CN=fapi-client,O=Gatehouse Test';
const REDIRECT = 'https://rp.example.test/cb';

const dir = mkdtempSync(join(tmpdir(), 'gatehouse-fapi-pki-'));
const ca = selfSigned(dir, 'ca', '/CN=FAPI Test CA', true);
const serverCert = issue(dir, ca, 'server', '/CN=localhost', ['subjectAltName=DNS:localhost,IP:127.0.0.1']);
const clientCert = issue(dir, ca, 'fapi-client', '/O=Gatehouse Test/CN=fapi-client');
const agents: Agent[] = [];
const agent = (id?: Issued) => {
  const a = new Agent({ connect: { ca: ca.cert, ...(id ? { cert: id.cert, key: id.key } : {}) } });
  agents.push(a);
  return a;
};
const thumbprint = (pem: string) => createHash('sha256').update(new X509Certificate(pem).raw).digest('base64url');
const claimsOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;

afterAll(async () => {
  await Promise.all(agents.map((a) => a.close()));
  rmSync(dir, { recursive: true, force: true });
});

async function post(url: string, form: Record<string, string>, dispatcher: Agent) {
  const res = await undiciFetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form).toString(), dispatcher });
  return { status: res.status, json: (await res.json().catch(() => ({}))) as Record<string, unknown> };
}

describe.each(DIALECTS)('FAPI 2.0 Security Profile, mTLS + mTLS (%s)', (dialect) => {
  const skip = dialect === 'postgres' && !pg;
  let dep: Deployment;
  let base: string;
  let clientId: string;
  beforeAll(async () => {
    if (skip) return;
    const port = await freePort();
    base = `https://127.0.0.1:${port}`;
    dep = await createDeployment(dialect, { server: { port, issuer: base, tls: { certFile: serverCert.certFile, keyFile: serverCert.keyFile, clientCaFile: ca.certFile } } });
    await dep.serve(port);
    const created = await dep.cli(['clients', 'create', '--name', 'FAPI mTLS', '--fapi', '--auth', 'tls_client_auth', '--tls-subject-dn', DN, '--redirect-uri', REDIRECT, '--grant', 'authorization_code', '--grant', 'client_credentials', '--scope', 'openid api:read', '--json']);
    expect(created.code, created.stderr).toBe(0);
    clientId = JSON.parse(created.stdout).client_id;
  });
  afterAll(async () => dep?.cleanup());

  it.skipIf(skip)('fapi2-security-profile-final-happy-flow (client credentials, openid-client): the token is bound to the client certificate', async () => {
    const dispatcher = agent(clientCert);
    const fetcher = ((url: string, options: Record<string, unknown>) => undiciFetch(url, { ...options, dispatcher })) as unknown as client.CustomFetch;
    const config = await client.discovery(new URL(base), clientId, undefined, client.TlsClientAuth(), { [client.customFetch]: fetcher });
    config[client.customFetch] = fetcher;
    const tokens = await client.clientCredentialsGrant(config, { scope: 'api:read' });
    // Bound although the client did not register tls_client_certificate_bound_access_tokens: the profile binds.
    expect(claimsOf(tokens.access_token)['cnf']).toEqual({ 'x5t#S256': thumbprint(clientCert.cert) });
  });

  it.skipIf(skip)('fapi2-security-profile-final-ensure-holder-of-key-required: no client certificate is invalid_client', async () => {
    const res = await post(`${base}/oauth/token`, { grant_type: 'client_credentials', client_id: clientId, scope: 'api:read' }, agent());
    expect(res.status).toBe(401);
    expect(['invalid_client', 'invalid_request']).toContain(res.json['error']);
  });

  it.skipIf(skip)('PAR over mutual TLS: pushed with the certificate, PKCE required, redirect_uri required', async () => {
    const { challenge } = pkce();
    const params = { client_id: clientId, response_type: 'code', redirect_uri: REDIRECT, scope: 'openid', state: 's', code_challenge: challenge, code_challenge_method: 'S256' };
    const pushed = await post(`${base}/oauth/par`, params, agent(clientCert));
    expect(pushed.status).toBe(201);
    expect(String(pushed.json['request_uri'])).toMatch(/^urn:ietf:params:oauth:request_uri:/);
    const { code_challenge: _c, code_challenge_method: _m, ...withoutPkce } = params;
    expect((await post(`${base}/oauth/par`, withoutPkce, agent(clientCert))).json['error']).toBe('invalid_request');
    const { redirect_uri: _r, ...withoutRedirect } = params;
    expect((await post(`${base}/oauth/par`, withoutRedirect, agent(clientCert))).json['error']).toBe('invalid_request');
    // fapi2-security-profile-final-ensure-unsigned-authorization-request-without-using-par-fails
    const plain = await undiciFetch(`${base}/oauth/authorize?${new URLSearchParams(params)}`, { redirect: 'manual', dispatcher: agent() });
    expect(plain.status).toBe(303);
    expect(new URL(plain.headers.get('location')!).searchParams.get('error')).toBe('invalid_request');
  });
});
