import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDeployment, DIALECTS, type Deployment, type ServerProcess } from '../helpers/server.js';
import { postgresAvailable } from '../helpers/postgres.js';
import { basic, postForm } from '../helpers/http.js';
import { Browser, authorizeFlow, forms, pkce } from '../helpers/flow.js';

const pg = await postgresAvailable();
const REDIRECT = 'http://localhost:8080/callback';

describe.each(DIALECTS)('RP-initiated logout (%s)', (dialect) => {
  const skip = dialect === 'postgres' && !pg;
  let dep: Deployment;
  let srv: ServerProcess;
  let app: { client_id: string; client_secret: string };
  beforeAll(async () => {
    if (skip) return;
    dep = await createDeployment(dialect, { auth: { idTokenExpiry: 1 } });
    srv = await dep.serve();
    app = JSON.parse(
      (await dep.cli(['clients', 'create', '--redirect-uri', REDIRECT, '--post-logout-redirect-uri', 'http://localhost:8080/bye', '--grant', 'authorization_code', '--grant', 'refresh_token', '--scope', 'openid profile email offline_access', '--json'])).stdout,
    );
  });
  afterAll(async () => dep?.cleanup());

  const signIn = async (browser = new Browser(srv.url)) => {
    const flow = await authorizeFlow(browser, { clientId: app.client_id, redirectUri: REDIRECT });
    const tokens = await postForm(`${srv.url}/oauth/token`, { grant_type: 'authorization_code', code: flow.code!, code_verifier: flow.verifier, redirect_uri: REDIRECT }, { authorization: basic(app.client_id, app.client_secret) });
    return { browser, tokens: tokens.json as Record<string, string> };
  };

  it.skipIf(skip)('logout with an (even expired) id_token_hint ends the session and redirects with state', async () => {
    const { browser, tokens } = await signIn();
    await new Promise((r) => setTimeout(r, 2100)); // the ID token (1 s) has expired
    const res = await browser.get(`/oauth/logout?${new URLSearchParams({ id_token_hint: tokens['id_token']!, post_logout_redirect_uri: 'http://localhost:8080/bye', state: 'xyz' })}`);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('http://localhost:8080/bye?state=xyz');
    const after = await browser.get(`/oauth/authorize?${new URLSearchParams({ response_type: 'code', client_id: app.client_id, redirect_uri: REDIRECT, scope: 'openid', prompt: 'none', code_challenge: pkce().challenge, code_challenge_method: 'S256' })}`);
    expect(new URL(after.headers.get('location')!).searchParams.get('error')).toBe('login_required');
  });

  it.skipIf(skip)('logout refuses an unregistered post_logout_redirect_uri; without a hint it asks first', async () => {
    const { browser, tokens } = await signIn();
    const bad = await browser.get(`/oauth/logout?${new URLSearchParams({ id_token_hint: tokens['id_token']!, post_logout_redirect_uri: 'https://evil.example.com/' })}`);
    expect(bad.status).toBe(400);
    expect(bad.headers.get('location')).toBeNull();
    const ask = await browser.get('/oauth/logout');
    expect(ask.status).toBe(200);
    const page = await ask.text();
    expect(page).toContain('Sign out?');
    const confirmed = await browser.submit(page);
    expect(confirmed.status).toBe(200);
    expect(await confirmed.text()).toContain('You are signed out');
    expect(forms(page)[0]!.fields['csrf']).toBeTruthy();
  });

});
