/**
 * Issue 10, the permanent fuzzer: every route the server registers (read from its own route table) receives
 * malformed and hostile requests over HTTP from a real `gatehouse serve`, on SQLite and PostgreSQL. No answer may
 * be a 5xx, carry a stack trace, an internal path or a framework error code, or leave the protocol's error
 * format; `/readyz` still answers 200 afterwards. `FUZZ_RUNS` (requests per route) and `FUZZ_SEED` widen a run.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDeployment, DEMO_SECRET, DIALECTS, type Deployment, type ServerProcess } from '../helpers/server.js';
import { postgresAvailable } from '../helpers/postgres.js';
import { basic, postForm } from '../helpers/http.js';
import { Browser, authorizeFlow, forms, pkce } from '../helpers/flow.js';
import { checkResponse, describeProblem, discoverRoutes, fuzzRoutes, type FuzzContext, type FuzzRequest, type Route } from '../helpers/fuzz.js';

const pg = await postgresAvailable();
const REDIRECT = 'http://localhost:8080/callback';
const INITIAL_TOKEN = 'test-initial-access-token-0123456789';
const RUNS = Number(process.env['FUZZ_RUNS'] ?? 60);
const SEED = Number(process.env['FUZZ_SEED'] ?? Date.now() % 1_000_000);
/** CI stays bounded whatever the machine's speed; a long local run (FUZZ_RUNS) is bounded by its count only. */
const BUDGET_MS = process.env['FUZZ_RUNS'] ? 24 * 3600_000 : 50_000;

async function cliJson(dep: Deployment, args: string[]): Promise<Record<string, unknown>> {
  const r = await dep.cli([...args, '--json']);
  if (r.code !== 0) throw new Error(`${args.join(' ')}: ${r.stderr}`);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

/** A login page and a consent page left open, with the cookies and CSRF tokens that make their posts count. */
async function openInteraction(srv: ServerProcess, browser: Browser, scope: string) {
  const { challenge } = pkce();
  const q = new URLSearchParams({ response_type: 'code', client_id: 'demo-client', redirect_uri: REDIRECT, scope, state: 's', code_challenge: challenge, code_challenge_method: 'S256' });
  const res = await browser.get(`/oauth/authorize?${q}`);
  const form = forms(await res.text())[0];
  if (res.status !== 200 || !form) throw new Error(`no interaction page: ${res.status}`);
  const id = /\/oauth\/interaction\/([^/]+)\//.exec(form.action)![1]!;
  return { id, csrf: form.fields['csrf']!, cookie: browser.jar.header(`${srv.url}${form.action}`) };
}

interface Known {
  adminToken: string;
  victimClient: string;
  registered: { clientId: string; token: string };
  login: { id: string; csrf: string; cookie: string };
}

async function fuzzContext(dep: Deployment, srv: ServerProcess): Promise<FuzzContext & { known: Known }> {
  const admin = await cliJson(dep, ['clients', 'create', '--scope', 'admin']);
  const adminToken = (await postForm(`${srv.url}/oauth/token`, { grant_type: 'client_credentials', scope: 'admin' }, { authorization: basic(admin['client_id'] as string, admin['client_secret'] as string) })).json['access_token'] as string;
  // Sacrificial clients and user: the fuzzer's DELETE, PUT and PATCH may change them, never the ones it authenticates with.
  const victims = [await cliJson(dep, ['clients', 'create', '--scope', 'api:read']), await cliJson(dep, ['clients', 'create', '--redirect-uri', 'https://a.example/cb'])];
  const user = await cliJson(dep, ['users', 'create', '--email', `fuzz-victim-${Date.now()}@example.test`, '--password', 'fuzz victim password 0123']);
  const registered = await fetch(`${srv.url}/oauth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${INITIAL_TOKEN}` },
    body: JSON.stringify({ redirect_uris: ['https://a.example/cb'], client_name: 'fuzz target' }),
  }).then((r) => r.json() as Promise<Record<string, string>>);
  const signedIn = new Browser(srv.url);
  const flow = await authorizeFlow(signedIn, { clientId: 'demo-client', redirectUri: REDIRECT });
  const tokens = (await postForm(`${srv.url}/oauth/token`, { grant_type: 'authorization_code', code: flow.code!, code_verifier: flow.verifier, redirect_uri: REDIRECT }, { authorization: basic('demo-client', DEMO_SECRET) })).json;
  const login = await openInteraction(srv, new Browser(srv.url), 'openid');
  const consent = await openInteraction(srv, signedIn, 'openid api:read');
  return {
    authorizations: [
      basic('demo-client', DEMO_SECRET),
      `Bearer ${adminToken}`,
      `Bearer ${INITIAL_TOKEN}`,
      `Bearer ${registered['registration_access_token']}`,
      `Bearer ${tokens['access_token'] as string}`,
    ],
    // One header carrying the session and both interaction cookies, as a browser with two tabs open would send.
    cookies: [[...new Set([signedIn.jar.header(`${srv.url}/oauth/authorize`), login.cookie, consent.cookie].flatMap((h) => h.split('; ')))].join('; ')],
    ids: {
      clientId: [...victims.map((v) => v['client_id'] as string), registered['client_id']!],
      userId: [user['id'] as string],
      id: [login.id, consent.id],
    },
    csrf: { [login.id]: login.csrf, [consent.id]: consent.csrf },
    queries: [
      { response_type: 'code', client_id: 'demo-client', redirect_uri: REDIRECT, scope: 'openid', state: 's', code_challenge: pkce().challenge, code_challenge_method: 'S256' },
      { id_token_hint: tokens['id_token'] as string, post_logout_redirect_uri: 'http://localhost:8080/' },
    ],
    bodyLimit: 65536,
    known: { adminToken, victimClient: victims[0]!['client_id'] as string, registered: { clientId: registered['client_id']!, token: registered['registration_access_token']! }, login },
  };
}

/** The reproductions of issue 10 (defects 3, 5 and 10), sent as they were reported. */
function issueReproductions(k: Known): Array<{ route: string; req: FuzzRequest }> {
  const json = (auth: string) => ({ 'content-type': 'application/json', authorization: `Bearer ${auth}` });
  const keysNull = JSON.stringify({ redirect_uris: ['https://a.example/cb'], token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [null] } });
  const authorize = new URLSearchParams({ response_type: 'code', client_id: 'demo-client', redirect_uri: REDIRECT, scope: 'openid', code_challenge: pkce().challenge, code_challenge_method: 'S256', nonce: 'n\u0000' });
  return [
    {
      route: '/oauth/interaction/:id/login',
      req: { method: 'POST', path: `/oauth/interaction/${k.login.id}/login`, headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: k.login.cookie }, body: `csrf=${encodeURIComponent(k.login.csrf)}&username=a%00%40example.test&password=x` },
    },
    { route: '/oauth/authorize', req: { method: 'GET', path: `/oauth/authorize?${authorize}`, headers: {} } },
    { route: '/oauth/register', req: { method: 'POST', path: '/oauth/register', headers: json(INITIAL_TOKEN), body: JSON.stringify({ redirect_uris: ['https://a.example/cb'], client_name: 'a\u0000b' }) } },
    { route: '/admin/api/v1/clients/:clientId', req: { method: 'GET', path: '/admin/api/v1/clients/%00', headers: { authorization: `Bearer ${k.adminToken}` } } },
    { route: '/oauth/register', req: { method: 'POST', path: '/oauth/register', headers: json(INITIAL_TOKEN), body: keysNull } },
    { route: '/oauth/register/:clientId', req: { method: 'PUT', path: `/oauth/register/${k.registered.clientId}`, headers: json(k.registered.token), body: keysNull } },
    { route: '/admin/api/v1/clients', req: { method: 'POST', path: '/admin/api/v1/clients', headers: json(k.adminToken), body: keysNull } },
    ...['{}', 'true', '[]'].map((grace) => ({
      route: '/admin/api/v1/clients/:clientId/rotate-secret',
      req: { method: 'POST', path: `/admin/api/v1/clients/${k.victimClient}/rotate-secret`, headers: json(k.adminToken), body: `{"grace":${grace}}` },
    })),
    { route: '/oauth/interaction/:id/login', req: { method: 'POST', path: '/oauth/interaction/%E0%A4%A/login', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'username=a' } },
  ];
}

describe.each(DIALECTS)('fuzzing every registered route (%s)', (dialect) => {
  const skip = dialect === 'postgres' && !pg;
  let dep: Deployment;
  let srv: ServerProcess;
  let routes: Route[];
  let ctx: FuzzContext & { known: Known };
  beforeAll(async () => {
    if (skip) return;
    dep = await createDeployment(dialect);
    srv = await dep.serve();
    routes = await discoverRoutes(dep.configPath);
    ctx = await fuzzContext(dep, srv);
  });
  afterAll(async () => dep?.cleanup());

  it.skipIf(skip)('the route table is read from the server itself', () => {
    const paths = routes.map((r) => r.path);
    for (const p of ['/oauth/token', '/oauth/authorize', '/oauth/interaction/:id/login', '/admin/api/v1/clients/:clientId/rotate-secret', '/readyz']) {
      expect(paths).toContain(p);
    }
  });

  it.skipIf(skip)('the reproductions of issue 10 get the protocol\'s error, not a 500 or a framework code', async () => {
    const bad: string[] = [];
    for (const { route, req } of issueReproductions(ctx.known)) {
      const r = await fetch(`${srv.url}${req.path}`, { method: req.method, headers: req.headers, ...(req.body !== undefined ? { body: req.body } : {}) });
      const res = { status: r.status, contentType: r.headers.get('content-type') ?? '', body: await r.text() };
      const problems = checkResponse(routes.find((x) => x.path === route)!, req, res);
      if (problems.length) bad.push(describeProblem({ route, problems, request: req, status: res.status, body: res.body }));
    }
    expect(bad).toEqual([]);
  });

  it.skipIf(skip)(`${RUNS} hostile requests per route: no 5xx, no leak, the protocol's error format`, { timeout: BUDGET_MS + 60_000 }, async () => {
    const started = Date.now();
    const figures = await fuzzRoutes(srv.url, routes, ctx, { runs: RUNS, seed: SEED, deadline: started + BUDGET_MS });
    const ready = await fetch(`${srv.url}/readyz`);
    const summary = {
      dialect,
      seed: SEED,
      routes: routes.length,
      runsPerRoute: RUNS,
      requests: figures.requests,
      unsent: figures.unsent,
      fiveHundreds: figures.fiveHundreds,
      problems: figures.problems.length,
      seconds: Math.round((Date.now() - started) / 100) / 10,
      readyz: ready.status,
    };
    mkdirSync('test-artifacts', { recursive: true });
    writeFileSync(`test-artifacts/fuzz-${dialect}.json`, JSON.stringify({ ...summary, byRoute: figures.byRoute, kinds: figures.kinds, examples: figures.problems.slice(0, 50) }, null, 2));
    process.stdout.write(`[fuzz] ${JSON.stringify(summary)}\n`);
    // A loaded machine may cut the run at its time budget (reported above); a run that sent little is a failure.
    expect(figures.requests + figures.unsent, 'requests sent within the budget').toBeGreaterThanOrEqual((routes.length * RUNS) / 2);
    expect(figures.problems.slice(0, 15).map(describeProblem), `seed ${SEED}: ${figures.problems.length} bad answers, ${figures.fiveHundreds} of them 5xx`).toEqual([]);
    expect(ready.status).toBe(200);
  });
});
