/**
 * The OpenID Foundation's Front-Channel Logout OP test plan (conformance-suite `oidcc-frontchannel-rp-initiated-
 * logout`), mirrored in a real browser (Debian's Chromium via playwright-core): after RP-initiated logout the
 * logged-out page loads each client's frontchannel_logout_uri in an iframe, with iss and sid when the client
 * asked for them (Front-Channel Logout 1.0 §2, §3), frame-src allows exactly those origins, and the browser
 * then continues to the post_logout_redirect_uri with state.
 */
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { decodeJwt } from 'jose';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, createDeployment, DIALECTS, freePort, type Deployment, type ServerProcess } from '../helpers/server.js';
import { postgresAvailable } from '../helpers/postgres.js';
import { basic, postForm } from '../helpers/http.js';
import { pkce } from '../helpers/flow.js';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium && process.env['CI'] === 'true') throw new Error(`${CHROMIUM} is required in CI (apt-get install chromium)`);
const pg = await postgresAvailable();

/** A relying party's pages: /callback, /fc (the front-channel logout URI, recorded) and /bye. */
async function relyingParty(): Promise<{ origin: string; seen: URL[]; server: Server }> {
  const seen: URL[] = [];
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', origin);
    seen.push(url);
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(`<p>${url.pathname}</p>`);
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return { origin, seen, server };
}

describe.skipIf(!hasChromium).each(DIALECTS)('oidcc front-channel logout (%s)', (dialect) => {
  const skip = dialect === 'postgres' && !pg;
  let dep: Deployment;
  let srv: ServerProcess;
  let rp1: Awaited<ReturnType<typeof relyingParty>>;
  let rp2: Awaited<ReturnType<typeof relyingParty>>;
  let browser: Browser;
  beforeAll(async () => {
    if (skip) return;
    rp1 = await relyingParty();
    rp2 = await relyingParty();
    dep = await createDeployment(dialect, { outbound: { allowInsecureLoopback: true } });
    srv = await dep.serve();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    for (const rp of [rp1, rp2]) {
      rp?.server.closeAllConnections();
      rp?.server.close();
    }
    await dep?.cleanup();
  });

  const createClient = async (origin: string, ...extra: string[]) => {
    const r = await dep.cli(['clients', 'create', '--redirect-uri', `${origin}/callback`, '--post-logout-redirect-uri', `${origin}/bye`, '--grant', 'authorization_code', '--scope', 'openid profile', '--skip-consent', '--frontchannel-logout-uri', `${origin}/fc`, ...extra, '--json']);
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as { client_id: string; client_secret: string };
  };
  /** Authorization code flow in the browser, then the token request as the RP's back end. */
  const signIn = async (page: Page, origin: string, client: { client_id: string; client_secret: string }) => {
    const { verifier, challenge } = pkce();
    const redirectUri = `${origin}/callback`;
    const q = new URLSearchParams({ response_type: 'code', client_id: client.client_id, redirect_uri: redirectUri, scope: 'openid profile', state: 'st', code_challenge: challenge, code_challenge_method: 'S256' });
    await page.goto(`${srv.url}/oauth/authorize?${q}`);
    if (!page.url().startsWith(redirectUri)) {
      await page.getByLabel('Email').fill('admin@example.com');
      await page.getByLabel('Password').fill(ADMIN_PASSWORD);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL(`${redirectUri}**`);
    }
    const code = new URL(page.url()).searchParams.get('code')!;
    const res = await postForm(`${srv.url}/oauth/token`, { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: redirectUri }, { authorization: basic(client.client_id, client.client_secret) });
    expect(res.status).toBe(200);
    return (res.json as Record<string, string>)['id_token']!;
  };

  it.skipIf(skip)('oidcc-frontchannel-rp-initiated-logout: each client’s iframe is loaded (iss and sid when required), then the browser goes to the post-logout URI', async () => {
    const withSid = await createClient(rp1.origin, '--frontchannel-logout-session-required');
    const plain = await createClient(rp2.origin);
    const page = await (await browser.newContext()).newPage();
    const idToken = await signIn(page, rp1.origin, withSid);
    await signIn(page, rp2.origin, plain);
    const sid = decodeJwt(idToken)['sid'] as string;

    const q = new URLSearchParams({ id_token_hint: idToken, post_logout_redirect_uri: `${rp1.origin}/bye`, state: 'fc-state' });
    const logoutResponse = page.waitForResponse((r) => r.url().startsWith(`${srv.url}/oauth/logout`));
    await page.goto(`${srv.url}/oauth/logout?${q}`);
    const res = await logoutResponse;
    expect(res.status()).toBe(200);
    const csp = (await res.allHeaders())['content-security-policy']!;
    const frameSrc = csp.split(';').map((d) => d.trim()).find((d) => d.startsWith('frame-src '))!;
    expect(new Set(frameSrc.split(' ').slice(1))).toEqual(new Set([rp1.origin, rp2.origin]));
    expect(csp).toContain("default-src 'none'");

    await page.waitForURL(`${rp1.origin}/bye?state=fc-state`, { timeout: 10_000 });
    const fc1 = rp1.seen.find((u) => u.pathname === '/fc');
    const fc2 = rp2.seen.find((u) => u.pathname === '/fc');
    expect(fc1?.searchParams.get('iss')).toBe(dep.issuer);
    expect(fc1?.searchParams.get('sid')).toBe(sid);
    expect(fc2).toBeDefined();
    expect(fc2!.search).toBe('');

    // The session is over: a silent authentication now answers login_required.
    const silent = new URLSearchParams({ response_type: 'code', client_id: withSid.client_id, redirect_uri: `${rp1.origin}/callback`, scope: 'openid', prompt: 'none', code_challenge: pkce().challenge, code_challenge_method: 'S256' });
    await page.goto(`${srv.url}/oauth/authorize?${silent}`);
    expect(new URL(page.url()).searchParams.get('error')).toBe('login_required');
    await page.close();
  }, 60_000);
});
