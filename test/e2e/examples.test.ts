/**
 * Issue 13 ("examples that run"): each example starts with the one-line command in its header, on Node 20, and
 * works with the demo client exactly as `npm start` seeds it — its default scopes, resources and URIs — only the
 * issuer and ports differ (tests listen on free ports).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDeployment, DEMO_SECRET, freePort, type Deployment, type ServerProcess } from '../helpers/server.js';
import { startExample, type RunningExample } from '../helpers/examples.js';
import { basic, postForm } from '../helpers/http.js';
import { Browser } from '../helpers/flow.js';

describe('examples run as documented against the seeded demo client', () => {
  let dep: Deployment;
  let srv: ServerProcess;
  let appOrigin: string;
  const running: RunningExample[] = [];
  beforeAll(async () => {
    appOrigin = `http://127.0.0.1:${await freePort()}`;
    // `npm start`'s demo client, but with the web app's test port in its URIs; scopes and resources are the defaults.
    dep = await createDeployment('sqlite', {
      seeder: { demoClient: { clientSecret: DEMO_SECRET, redirectUris: [`${appOrigin}/callback`], postLogoutRedirectUris: [`${appOrigin}/bye`] } },
    });
    srv = await dep.serve();
  }, 60_000);
  afterAll(async () => {
    await Promise.all(running.map((r) => r.stop()));
    await dep?.cleanup();
  });

  it('examples/resource-server accepts a demo-client token for its default audience', async () => {
    const port = await freePort();
    running.push(await startExample('examples/resource-server/server.mjs', { ISSUER: dep.issuer, PORT: String(port) }));
    const token = await postForm(`${srv.url}/oauth/token`, { grant_type: 'client_credentials', scope: 'api:read', resource: 'https://api.example.com' }, { authorization: basic('demo-client', DEMO_SECRET) });
    expect(token.status, JSON.stringify(token.json)).toBe(200);
    const res = await fetch(`http://127.0.0.1:${port}/`, { headers: { authorization: `Bearer ${String(token.json['access_token'])}` } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ hello: 'demo-client', scope: 'api:read' });
  });

  it('examples/web-app signs in with the demo client, refreshes, and logs out', async () => {
    running.push(await startExample('examples/web-app/app.mjs', { ISSUER: dep.issuer, DEMO_SECRET, ORIGIN: appOrigin }));
    const browser = new Browser(srv.url);
    const login = await fetch(`${appOrigin}/login`, { redirect: 'manual' });
    expect(login.status).toBe(302);
    let res = await browser.get(login.headers.get('location')!);
    res = await browser.submit(await res.text(), { username: 'admin@example.com', password: 'correct horse battery staple' });
    if (res.status === 200) res = await browser.submit(await res.text());
    const callback = res.headers.get('location')!;
    expect(callback.startsWith(`${appOrigin}/callback?`)).toBe(true);
    const done = await fetch(callback);
    expect(done.status).toBe(200);
    expect(await done.json()).toMatchObject({ email: 'admin@example.com', refreshed: true });

    const logout = await fetch(`${appOrigin}/logout`, { redirect: 'manual' });
    const bye = await browser.get(logout.headers.get('location')!);
    expect(bye.status).toBe(303);
    expect(bye.headers.get('location')).toBe(`${appOrigin}/bye?state=bye-state`);
  });

  it('the web app says what it needs when the secret is missing', async () => {
    await expect(startExample('examples/web-app/app.mjs', { ISSUER: dep.issuer, DEMO_SECRET: '', ORIGIN: appOrigin })).rejects.toThrow(/exited with 2:\nCLIENT_SECRET is required/);
  });
});
