/**
 * /metrics (issue 13): guarded by a bearer token or served on a listener of its own, with counters for tokens
 * issued, OAuth error responses by code, sign-in outcomes and rate-limit refusals, scraped from the real server.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, createDeployment, DEMO_SECRET, freePort, type Deployment, type ServerProcess } from '../helpers/server.js';
import { attempt, openLogin } from '../helpers/login.js';
import { basic, postForm } from '../helpers/http.js';

const sample = (text: string, metric: string): number => {
  const line = text.split('\n').find((l) => l.startsWith(`${metric} `));
  return line ? Number(line.slice(metric.length + 1)) : 0;
};

describe('/metrics behind a bearer token, with the operational counters (sqlite)', () => {
  const token = randomBytes(24).toString('base64url');
  let dep: Deployment;
  let srv: ServerProcess;
  beforeAll(async () => {
    dep = await createDeployment('sqlite', { server: { trustProxy: true, metrics: { bearerToken: token } } });
    srv = await dep.serve();
  }, 60_000);
  afterAll(async () => dep?.cleanup());

  const scrape = async () => {
    const r = await fetch(`${srv.url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
    expect(r.status).toBe(200);
    return r.text();
  };

  it('without the token (even from loopback) or with a wrong one: 404', async () => {
    expect((await fetch(`${srv.url}/metrics`)).status).toBe(404);
    expect((await fetch(`${srv.url}/metrics`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(404);
    // With the token, any address may scrape: the proxy header does not matter any more.
    expect((await fetch(`${srv.url}/metrics`, { headers: { authorization: `Bearer ${token}`, 'x-forwarded-for': '203.0.113.9' } })).status).toBe(200);
  });

  it('counts tokens issued by grant type, error responses by code, sign-in outcomes and 429s', async () => {
    const ok = await postForm(`${srv.url}/oauth/token`, { grant_type: 'client_credentials' }, { authorization: basic('demo-client', DEMO_SECRET), 'x-forwarded-for': '192.0.2.80' });
    expect(ok.status).toBe(200);
    const statuses = [];
    for (let i = 0; i < 11; i++) {
      statuses.push((await postForm(`${srv.url}/oauth/token`, { grant_type: 'client_credentials' }, { authorization: basic('demo-client', `wrong-${i}`), 'x-forwarded-for': '203.0.113.80' })).status);
    }
    expect(statuses).toEqual([...Array(10).fill(401), 429]);
    expect((await postForm(`${srv.url}/oauth/token`, { grant_type: 'password' }, { authorization: basic('demo-client', DEMO_SECRET), 'x-forwarded-for': '192.0.2.80' })).status).toBe(400);
    const page = await openLogin(srv.url);
    expect((await attempt(page, '192.0.2.81', 'admin@example.com', 'not-the-password')).status).toBe(401);
    expect((await attempt(page, '192.0.2.81', 'admin@example.com', ADMIN_PASSWORD)).status).toBeLessThan(400);

    const text = await scrape();
    expect(sample(text, 'gatehouse_tokens_issued_total{grant_type="client_credentials"}')).toBe(1);
    expect(sample(text, 'gatehouse_oauth_errors_total{route="/oauth/token",error="invalid_client"}')).toBe(10);
    expect(sample(text, 'gatehouse_oauth_errors_total{route="/oauth/token",error="too_many_requests"}')).toBe(1);
    expect(sample(text, 'gatehouse_oauth_errors_total{route="/oauth/token",error="unsupported_grant_type"}')).toBe(1);
    expect(sample(text, 'gatehouse_rate_limited_total{route="/oauth/token"}')).toBe(1);
    expect(sample(text, 'gatehouse_logins_total{outcome="failure"}')).toBe(1);
    expect(sample(text, 'gatehouse_logins_total{outcome="success"}')).toBe(1);
    expect(text).toMatch(/^gatehouse_http_requests_total\{method="POST",route="\/oauth\/token",status="200"\} 1$/m);
  });
});

describe('/metrics on a listener of its own (sqlite)', () => {
  let dep: Deployment;
  let srv: ServerProcess;
  let metricsPort: number;
  beforeAll(async () => {
    metricsPort = await freePort();
    dep = await createDeployment('sqlite', { server: { metrics: { port: metricsPort, host: '127.0.0.1' } } });
    srv = await dep.serve();
  }, 60_000);
  afterAll(async () => dep?.cleanup());

  it('answers there, and the main listener no longer serves /metrics', async () => {
    expect((await fetch(`${srv.url}/.well-known/openid-configuration`)).status).toBe(200);
    expect((await fetch(`${srv.url}/metrics`)).status).toBe(404);
    const r = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toContain('text/plain');
    expect(await r.text()).toMatch(/^gatehouse_http_requests_total\{method="GET",route="\/.well-known\/openid-configuration",status="200"\} 1$/m);
    expect((await fetch(`http://127.0.0.1:${metricsPort}/other`)).status).toBe(404);
    expect(srv.output()).toContain(`metrics: http://127.0.0.1:${metricsPort}/metrics`);
  });
});
