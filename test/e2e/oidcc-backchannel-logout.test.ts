/**
 * The OpenID Foundation's Back-Channel Logout OP test plan (conformance-suite `oidcc-backchannel-rp-initiated-
 * logout*`), mirrored: a local receiver verifies the logout token with jose against the server's JWKS
 * (Back-Channel Logout 1.0 §2.4, §2.6), a receiver that never answers does not delay the person's logout and its
 * failure reaches the audit log, and sessions the server ends (a disabled account) are told too.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDeployment, DIALECTS, freePort, type Deployment, type ServerProcess } from '../helpers/server.js';
import { postgresAvailable } from '../helpers/postgres.js';
import { basic, json, postForm } from '../helpers/http.js';
import { Browser, authorizeFlow } from '../helpers/flow.js';

const pg = await postgresAvailable();
const REDIRECT = 'http://localhost:8080/callback';
const BYE = 'http://localhost:8080/bye';
const EVENT = 'http://schemas.openid.net/event/backchannel-logout';

interface Received {
  path: string;
  contentType: string | undefined;
  form: URLSearchParams;
}

/** A relying party's back-channel endpoint: /ok answers 200, /hang accepts the request and never answers. */
async function receiver(): Promise<{ url: string; received: Received[]; server: Server }> {
  const received: Received[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      received.push({ path: req.url ?? '', contentType: req.headers['content-type'], form: new URLSearchParams(body) });
      if (req.url === '/hang') return; // never answers
      res.writeHead(200, { 'cache-control': 'no-store' }).end();
    });
  });
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${port}`, received, server };
}

const until = async <T>(fn: () => Promise<T | undefined>, ms: number): Promise<T> => {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 200));
  }
};

describe.each(DIALECTS)('oidcc back-channel logout (%s)', (dialect) => {
  const skip = dialect === 'postgres' && !pg;
  let dep: Deployment;
  let srv: ServerProcess;
  let rp: Awaited<ReturnType<typeof receiver>>;
  beforeAll(async () => {
    if (skip) return;
    rp = await receiver();
    dep = await createDeployment(dialect, { outbound: { allowInsecureLoopback: true, timeoutMs: 1000, connectTimeoutMs: 500 } });
    srv = await dep.serve();
  }, 60_000);
  afterAll(async () => {
    rp?.server.closeAllConnections();
    rp?.server.close();
    await dep?.cleanup();
  });

  const createClient = async (path: string, ...extra: string[]) => {
    const r = await dep.cli(['clients', 'create', '--redirect-uri', REDIRECT, '--post-logout-redirect-uri', BYE, '--grant', 'authorization_code', '--scope', 'openid profile', '--skip-consent', '--backchannel-logout-uri', `${rp.url}${path}`, ...extra, '--json']);
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as { client_id: string; client_secret: string; backchannel_logout_uri: string };
  };
  const signIn = async (client: { client_id: string; client_secret: string }, browser = new Browser(srv.url), email?: string, password?: string) => {
    const flow = await authorizeFlow(browser, { clientId: client.client_id, redirectUri: REDIRECT, scope: 'openid profile', ...(email ? { email, password } : {}) });
    const res = await postForm(`${srv.url}/oauth/token`, { grant_type: 'authorization_code', code: flow.code!, code_verifier: flow.verifier, redirect_uri: REDIRECT }, { authorization: basic(client.client_id, client.client_secret) });
    expect(res.status).toBe(200);
    return { browser, idToken: (res.json as Record<string, string>)['id_token']! };
  };
  const auditEvents = async (action: string) => {
    const r = await dep.cli(['audit', 'list', '--json', '--action', action, '--limit', '100']);
    return (JSON.parse(r.stdout) as { events: { outcome: string; target: { id: string } | null; detail: Record<string, unknown> | null }[] }).events;
  };
  const verify = async (token: string, clientId: string) => {
    const jwks = createRemoteJWKSet(new URL(`${srv.url}/jwks.json`));
    return jwtVerify(token, jwks, { issuer: dep.issuer, audience: clientId, typ: 'logout+jwt', maxTokenAge: 120 });
  };

  it.skipIf(skip)('oidcc-backchannel-rp-initiated-logout: each client of the session gets a signed logout token with sid, sub and the event, no nonce', async () => {
    const a = await createClient('/ok', '--backchannel-logout-session-required');
    const b = await createClient('/ok');
    expect(a.backchannel_logout_uri).toBe(`${rp.url}/ok`);
    const { browser, idToken } = await signIn(a);
    await signIn(b, browser);
    const id = decodeJwt(idToken);
    const before = rp.received.length;
    const res = await browser.get(`/oauth/logout?${new URLSearchParams({ id_token_hint: idToken, post_logout_redirect_uri: BYE, state: 'bc' })}`);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`${BYE}?state=bc`);
    const got = await until(async () => (rp.received.length >= before + 2 ? rp.received.slice(before) : undefined), 10_000);
    const audiences = new Set<string>();
    for (const r of got) {
      expect(r.path).toBe('/ok');
      expect(r.contentType).toBe('application/x-www-form-urlencoded');
      const token = r.form.get('logout_token')!;
      expect(decodeProtectedHeader(token).typ).toBe('logout+jwt');
      const aud = decodeJwt(token).aud as string;
      const { payload } = await verify(token, aud);
      audiences.add(aud);
      expect(payload['sid']).toBe(id['sid']);
      expect(payload['sub']).toBe(id['sub']);
      expect(payload['events']).toEqual({ [EVENT]: {} });
      expect(payload).not.toHaveProperty('nonce');
      expect(payload.jti).toBeTypeOf('string');
      expect(payload.exp! - payload.iat!).toBeLessThanOrEqual(120);
    }
    expect(audiences).toEqual(new Set([a.client_id, b.client_id]));
    // Each session is told once: logging out again (not signed in) sends nothing more.
    await browser.get(`/oauth/logout?${new URLSearchParams({ id_token_hint: idToken })}`);
    const delivered = await until(async () => {
      const events = (await auditEvents('logout.backchannel')).filter((e) => e.outcome === 'success' && [a.client_id, b.client_id].includes(e.target!.id));
      return events.length >= 2 ? events : undefined;
    }, 10_000);
    expect(delivered).toHaveLength(2);
    expect(rp.received.length).toBe(before + 2);
  });

  it.skipIf(skip)('oidcc-backchannel-rp-initiated-logout-receiver-down: a receiver that never answers does not delay the logout; the failure is audited after bounded retries', async () => {
    const client = await createClient('/hang', '--backchannel-logout-session-required');
    const { browser, idToken } = await signIn(client);
    const started = Date.now();
    const res = await browser.get(`/oauth/logout?${new URLSearchParams({ id_token_hint: idToken, post_logout_redirect_uri: BYE })}`);
    const took = Date.now() - started;
    expect(res.status).toBe(303);
    expect(took).toBeLessThan(800); // the outbound timeout is 1000 ms: the page did not wait for it
    const failed = await until(async () => (await auditEvents('logout.backchannel')).find((e) => e.target?.id === client.client_id && e.outcome === 'failure'), 20_000);
    expect(failed.detail).toMatchObject({ attempts: 3, uri: `${rp.url}/hang` });
    expect(String(failed.detail!['reason'])).not.toHaveLength(0);
    expect(rp.received.filter((r) => r.path === '/hang').length).toBe(3);
  }, 40_000);

  it.skipIf(skip)('oidcc-backchannel-logout (server-ended session): disabling the account sends the logout token', async () => {
    const client = await createClient('/ok', '--backchannel-logout-session-required');
    const email = `bc-${dialect}-${Date.now()}@example.com`;
    const password = 'a long enough password 123';
    expect((await dep.cli(['users', 'create', '--email', email, '--password', password])).code).toBe(0);
    const { idToken } = await signIn(client, new Browser(srv.url), email, password);
    // The janitor keeps the rows of live sessions (it drops only those of sessions gone without a logout).
    const cleanup = await dep.cli(['cleanup', '--json']);
    expect(cleanup.code, cleanup.stderr).toBe(0);
    const before = rp.received.length;
    expect((await dep.cli(['users', 'disable', email])).code).toBe(0);
    const got = await until(async () => rp.received.slice(before).find((r) => decodeJwt(r.form.get('logout_token')!).aud === client.client_id), 10_000);
    const { payload } = await verify(got.form.get('logout_token')!, client.client_id);
    expect(payload['sid']).toBe(decodeJwt(idToken)['sid']);
  });

  it.skipIf(skip)('back-channel metadata: registered through dynamic registration, https (or loopback http here) and no fragment; discovery advertises it', async () => {
    const register = (body: Record<string, unknown>) =>
      json(`${srv.url}/oauth/register`, { method: 'POST', headers: { authorization: 'Bearer test-initial-access-token-0123456789' }, body: JSON.stringify({ redirect_uris: ['https://rp.example.com/cb'], ...body }) });
    const ok = await register({ backchannel_logout_uri: 'https://rp.example.com/bc', backchannel_logout_session_required: true, frontchannel_logout_uri: 'https://rp.example.com/fc', frontchannel_logout_session_required: false });
    expect(ok.status, JSON.stringify(ok.json)).toBe(201);
    expect(ok.json).toMatchObject({ backchannel_logout_uri: 'https://rp.example.com/bc', backchannel_logout_session_required: true, frontchannel_logout_uri: 'https://rp.example.com/fc', frontchannel_logout_session_required: false });
    for (const bad of [
      { backchannel_logout_uri: 'http://rp.example.com/bc' },
      { backchannel_logout_uri: 'https://rp.example.com/bc#frag' },
      { backchannel_logout_uri: 'not a uri' },
      { backchannel_logout_session_required: 'yes' },
      { frontchannel_logout_uri: 'javascript:alert(1)' },
    ]) {
      const r = await register(bad);
      expect(r.status, JSON.stringify(bad)).toBe(400);
      expect(r.json['error']).toBe('invalid_client_metadata');
    }
    const disco = (await json(`${srv.url}/.well-known/openid-configuration`)).json;
    expect(disco).toMatchObject({ backchannel_logout_supported: true, backchannel_logout_session_supported: true, frontchannel_logout_supported: true, frontchannel_logout_session_supported: true });
  });
});
