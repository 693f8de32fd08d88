/**
 * Issue 14, pairwise subject identifiers (OpenID Connect Core §8): `subject_type: pairwise` and
 * `sector_identifier_uri` checked at dynamic registration (the document is fetched through src/outbound/ from
 * a loopback server, allowed by outbound.allowInsecureLoopback), and a per-sector `sub` that openid-client sees
 * in the ID token, at userinfo, in the access token and at introspection. Mirrors the OIDF modules named.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { decodeJwt } from 'jose';
import { createDeployment, DIALECTS, type Deployment, type ServerProcess } from '../helpers/server.js';
import { postgresAvailable } from '../helpers/postgres.js';
import { basic, json, postForm } from '../helpers/http.js';
import { Browser, authorizeFlow } from '../helpers/flow.js';

const pg = await postgresAvailable();
const IAT = 'test-initial-access-token-0123456789';
const REDIRECT = 'http://localhost:8080/callback';
const OTHER = 'http://127.0.0.1:8081/cb';

/** Serves sector identifier documents: path → body (a string is sent as is, anything else as JSON). */
const DOCS: Record<string, unknown> = {
  '/sector-a.json': [REDIRECT, OTHER],
  '/sector-b.json': [REDIRECT],
  '/missing-redirect.json': [OTHER],
  '/not-an-array.json': { redirect_uris: [REDIRECT] },
  '/not-json.json': 'this is not JSON',
};

describe.each(DIALECTS)('pairwise subjects (%s)', (dialect) => {
  const skip = dialect === 'postgres' && !pg;
  let dep: Deployment;
  let srv: ServerProcess;
  let sectors: Server;
  let port: number;
  let adminId: string;
  beforeAll(async () => {
    if (skip) return;
    sectors = createServer((req, res) => {
      const doc = DOCS[req.url ?? ''];
      if (doc === undefined) res.writeHead(404).end();
      else res.writeHead(200, { 'content-type': 'application/json' }).end(typeof doc === 'string' ? doc : JSON.stringify(doc));
    });
    await new Promise<void>((r) => sectors.listen(0, '127.0.0.1', r));
    port = (sectors.address() as AddressInfo).port;
    dep = await createDeployment(dialect, { outbound: { allowInsecureLoopback: true } });
    srv = await dep.serve();
    adminId = (JSON.parse((await dep.cli(['users', 'list', '--json'])).stdout) as Array<{ id: string; email: string }>).find((u) => u.email === 'admin@example.com')!.id;
  }, 60_000);
  afterAll(async () => {
    await dep?.cleanup();
    await new Promise((r) => (sectors ? sectors.close(r) : r(undefined)));
  });

  const register = (body: Record<string, unknown>) =>
    json(`${srv.url}/oauth/register`, {
      method: 'POST',
      headers: { authorization: `Bearer ${IAT}` },
      body: JSON.stringify({ client_name: 'Pairwise RP', grant_types: ['authorization_code', 'refresh_token'], scope: 'openid profile email offline_access', ...body }),
    });
  const sector = (path: string, host = '127.0.0.1') => `http://${host}:${port}${path}`;

  /** Registers a client and returns an openid-client configuration for it. */
  const rp = async (body: Record<string, unknown>) => {
    const reg = await register(body);
    expect(reg.status, JSON.stringify(reg.json)).toBe(201);
    const id = reg.json['client_id'] as string;
    const secret = reg.json['client_secret'] as string;
    const config = await client.discovery(new URL(dep.issuer), id, undefined, client.ClientSecretBasic(secret), { execute: [client.allowInsecureRequests] });
    return { id, secret, config, registered: reg.json };
  };
  /** A full sign-in in a fresh browser; returns the verified token response. */
  const signIn = async (c: Awaited<ReturnType<typeof rp>>) => {
    const flow = await authorizeFlow(new Browser(srv.url), { clientId: c.id, redirectUri: REDIRECT, scope: 'openid email offline_access' });
    return client.authorizationCodeGrant(c.config, flow.url, { pkceCodeVerifier: flow.verifier, expectedState: flow.state, expectedNonce: flow.nonce, idTokenExpected: true });
  };

  it.skipIf(skip)('oidcc-registration-sector-uri: a sector_identifier_uri listing every redirect URI is accepted and echoed', async () => {
    const a = await rp({ redirect_uris: [REDIRECT, OTHER], subject_type: 'pairwise', sector_identifier_uri: sector('/sector-a.json') });
    expect(a.registered).toMatchObject({ subject_type: 'pairwise', sector_identifier_uri: sector('/sector-a.json'), redirect_uris: [REDIRECT, OTHER] });
    const pub = await register({ redirect_uris: [REDIRECT] });
    expect(pub.json['subject_type']).toBe('public');
    // The CLI registers through the same rules and the same outbound fetcher.
    const cli = await dep.cli(['clients', 'create', '--redirect-uri', REDIRECT, '--grant', 'authorization_code', '--subject-type', 'pairwise', '--sector-identifier-uri', sector('/sector-b.json'), '--json']);
    expect(cli.code, cli.stderr).toBe(0);
    expect(JSON.parse(cli.stdout)).toMatchObject({ subject_type: 'pairwise', sector_identifier_uri: sector('/sector-b.json') });
    const cliBad = await dep.cli(['clients', 'create', '--redirect-uri', REDIRECT, '--grant', 'authorization_code', '--subject-type', 'pairwise', '--sector-identifier-uri', sector('/missing-redirect.json')]);
    expect(cliBad.code).not.toBe(0);
    expect(cliBad.stderr + cliBad.stdout).toContain('sector_identifier_uri');
  });

  it.skipIf(skip)('oidcc-registration-sector-bad: a document that does not list a redirect URI, is not an array, is not JSON or is missing: invalid_client_metadata', async () => {
    for (const path of ['/missing-redirect.json', '/not-an-array.json', '/not-json.json', '/nowhere.json']) {
      const res = await register({ redirect_uris: [REDIRECT], subject_type: 'pairwise', sector_identifier_uri: sector(path) });
      expect(res.status, path).toBe(400);
      expect(res.json['error']).toBe('invalid_client_metadata');
      expect(String(res.json['error_description'])).toContain('sector_identifier_uri');
    }
    // Without a sector_identifier_uri, a pairwise client's redirect URIs must share one host (§8.1).
    const twoHosts = await register({ redirect_uris: [REDIRECT, OTHER], subject_type: 'pairwise' });
    expect(twoHosts.status).toBe(400);
    expect(twoHosts.json['error']).toBe('invalid_client_metadata');
    const badType = await register({ redirect_uris: [REDIRECT], subject_type: 'secret' });
    expect(badType.json['error']).toBe('invalid_client_metadata');
    const ftp = await register({ redirect_uris: [REDIRECT], subject_type: 'pairwise', sector_identifier_uri: 'ftp://example.com/s.json' });
    expect(ftp.json['error']).toBe('invalid_client_metadata');
  });

  it.skipIf(skip)('pairwise sub: stable across logins, one per sector, the same in ID token, userinfo, access token, introspection and after refresh', async () => {
    const a = await rp({ redirect_uris: [REDIRECT, OTHER], subject_type: 'pairwise', sector_identifier_uri: sector('/sector-a.json') });
    const b = await rp({ redirect_uris: [REDIRECT], subject_type: 'pairwise', sector_identifier_uri: sector('/sector-b.json', 'localhost') });
    // Same sector as b (the host of its only redirect URI, localhost), so the same sub.
    const c = await rp({ redirect_uris: [REDIRECT], subject_type: 'pairwise' });
    const pub = await rp({ redirect_uris: [REDIRECT] });

    const a1 = await signIn(a);
    const a2 = await signIn(a);
    const subA = a1.claims()!.sub;
    expect(a2.claims()!.sub).toBe(subA);
    expect(subA).not.toBe(adminId);
    expect(subA).toMatch(/^[\w-]{43}$/);

    const subB = (await signIn(b)).claims()!.sub;
    expect(subB).not.toBe(subA);
    expect(subB).not.toBe(adminId);
    expect((await signIn(c)).claims()!.sub).toBe(subB);
    expect((await signIn(pub)).claims()!.sub).toBe(adminId);

    // openid-client checks the userinfo sub against the ID token's.
    const info = await client.fetchUserInfo(a.config, a1.access_token, subA);
    expect(info).toMatchObject({ sub: subA, email: 'admin@example.com', email_verified: true });
    expect(decodeJwt(a1.access_token).sub).toBe(subA);
    const introspected = await postForm(`${srv.url}/oauth/introspect`, { token: a1.access_token }, { authorization: basic(a.id, a.secret) });
    expect(introspected.json).toMatchObject({ active: true, sub: subA });
    const rtIntrospected = await postForm(`${srv.url}/oauth/introspect`, { token: a1.refresh_token! }, { authorization: basic(a.id, a.secret) });
    expect(rtIntrospected.json).toMatchObject({ active: true, sub: subA });
    const refreshed = await client.refreshTokenGrant(a.config, a1.refresh_token!);
    expect(refreshed.claims()!.sub).toBe(subA);
    expect((await client.fetchUserInfo(a.config, refreshed.access_token, subA)).sub).toBe(subA);
  });

  it.skipIf(skip)('discovery: subject_types_supported is public and pairwise', async () => {
    const meta = (await json(`${srv.url}/.well-known/openid-configuration`)).json;
    expect(meta['subject_types_supported']).toEqual(['public', 'pairwise']);
  });
});
