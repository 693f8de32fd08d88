/**
 * Issue 10 defect 11 and the log-secret scan: a server at logLevel `trace` (every request logged) goes through
 * every flow that handles a credential — sign-in, code exchange, refresh, client_secret_post, introspection,
 * revocation, userinfo (header, form body and the RFC 6750 §2.3 query form), logout with an `id_token_hint`,
 * dynamic registration — and its whole output must contain none of the secrets, codes, tokens and passwords the
 * test created or obtained, raw, URL-encoded or base64 inside a Basic header. The scan runs again, for every e2e
 * test, in Deployment.cleanup() (test/helpers/server.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDeployment, DEMO_SECRET, DIALECTS, type Deployment, type ServerProcess } from '../helpers/server.js';
import { postgresAvailable } from '../helpers/postgres.js';
import { basic, postForm } from '../helpers/http.js';
import { Browser, authorizeFlow } from '../helpers/flow.js';
import { logScanFigures, rememberedSecrets, scanForSecrets, secretForms } from '../helpers/log-scan.js';

const pg = await postgresAvailable();
const REDIRECT = 'http://localhost:8080/callback';
const DEMO = basic('demo-client', DEMO_SECRET);

describe('the scan itself', () => {
  it('finds a secret raw, URL-encoded, JSON-escaped and inside a Basic header at any alignment', () => {
    const secret = 'S3cr3t/with+odd chars"=';
    const lines = [
      `{"url":"/x?client_secret=${secret}"}`,
      `{"url":"/x?client_secret=${encodeURIComponent(secret)}"}`,
      `{"msg":${JSON.stringify(`got ${secret}`)}}`,
      ...['a', 'ab', 'abc'].map((id) => `{"authorization":"${basic(id, secret)}"}`),
    ];
    for (const line of lines) expect(scanForSecrets(line, 'synthetic', [secret]), line).toHaveLength(1);
    expect(scanForSecrets('{"authorization":"[redacted]","url":"/x?client_secret=[redacted]"}', 'synthetic', [secret])).toEqual([]);
    expect(secretForms(secret).length).toBeGreaterThan(3);
  });
});

describe.each(DIALECTS)('no credential reaches the log at trace level (%s)', (dialect) => {
  const skip = dialect === 'postgres' && !pg;
  let dep: Deployment;
  let srv: ServerProcess;
  beforeAll(async () => {
    if (skip) return;
    dep = await createDeployment(dialect, { server: { logLevel: 'trace' } });
    srv = await dep.serve();
  });
  afterAll(async () => {
    try {
      await dep?.cleanup();
    } finally {
      if (!skip) process.stdout.write(`[log-scan] ${JSON.stringify({ dialect, ...logScanFigures() })}\n`);
    }
  });

  it.skipIf(skip)('every credential-bearing flow, then a scan of the whole server output', async () => {
    const token = (form: Record<string, string>, headers: Record<string, string> = { authorization: DEMO }) => postForm(`${srv.url}/oauth/token`, form, headers);
    const browser = new Browser(srv.url);
    const flow = await authorizeFlow(browser, { clientId: 'demo-client', redirectUri: REDIRECT });
    const t = await token({ grant_type: 'authorization_code', code: flow.code!, code_verifier: flow.verifier, redirect_uri: REDIRECT });
    expect(t.status).toBe(200);
    const r = await token({ grant_type: 'refresh_token', refresh_token: t.json['refresh_token'] as string });
    expect(r.status).toBe(200);
    const access = r.json['access_token'] as string;
    // A replayed code and a replayed refresh token: their refusals are logged, the values must not be.
    await token({ grant_type: 'authorization_code', code: flow.code!, code_verifier: flow.verifier, redirect_uri: REDIRECT });
    await token({ grant_type: 'refresh_token', refresh_token: t.json['refresh_token'] as string });
    const post = JSON.parse((await dep.cli(['clients', 'create', '--auth', 'client_secret_post', '--scope', 'api:read', '--json'])).stdout) as Record<string, string>;
    expect((await token({ grant_type: 'client_credentials', client_id: post['client_id']!, client_secret: post['client_secret']! }, {})).status).toBe(200);
    await token({ grant_type: 'client_credentials', client_id: post['client_id']!, client_secret: `${post['client_secret']!}-wrong` }, {});
    await postForm(`${srv.url}/oauth/introspect`, { token: access }, { authorization: DEMO });
    await fetch(`${srv.url}/oauth/userinfo`, { headers: { authorization: `Bearer ${access}` } });
    await postForm(`${srv.url}/oauth/userinfo`, { access_token: access });
    await fetch(`${srv.url}/oauth/userinfo?access_token=${encodeURIComponent(access)}`);
    const registered = await fetch(`${srv.url}/oauth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer test-initial-access-token-0123456789' },
      body: JSON.stringify({ redirect_uris: ['https://a.example/cb'], client_name: 'log scan' }),
    }).then((x) => x.json() as Promise<Record<string, string>>);
    await fetch(registered['registration_client_uri']!.replace(dep.issuer, srv.url), { headers: { authorization: `Bearer ${registered['registration_access_token']}` } });
    await browser.get(`/oauth/logout?${new URLSearchParams({ id_token_hint: r.json['id_token'] as string, post_logout_redirect_uri: 'http://localhost:8080/' })}`);
    await postForm(`${srv.url}/oauth/revoke`, { token: r.json['refresh_token'] as string }, { authorization: DEMO });

    await srv.stop();
    expect(rememberedSecrets().length).toBeGreaterThan(10);
    // At trace level the scan is meaningful only if requests were logged at all.
    expect(srv.output()).toMatch(/"url":"\/oauth\/token/);
    expect(scanForSecrets(srv.output(), `${dialect} trace`).map((h) => `${h.secret} (${h.form}): ${h.line}`)).toEqual([]);
  });
});
