/**
 * Sign-in attempts at the login form from a chosen client address (the server runs with `server.trustProxy:
 * true`, so X-Forwarded-For sets `request.ip`). The interaction is sealed in a cookie, so one login page takes
 * many posts, concurrent ones included, until one of them succeeds.
 */
import { Browser, forms, pkce } from './flow.js';

export const REDIRECT = 'http://localhost:8080/callback';

export interface LoginPage {
  browser: Browser;
  action: string;
  fields: Record<string, string>;
}

export async function openLogin(base: string): Promise<LoginPage> {
  const browser = new Browser(base);
  const params = new URLSearchParams({
    response_type: 'code',
    client_id: 'demo-client',
    redirect_uri: REDIRECT,
    scope: 'openid',
    code_challenge: pkce().challenge,
    code_challenge_method: 'S256',
  });
  const res = await browser.get(`/oauth/authorize?${params}`);
  const form = forms(await res.text())[0];
  if (res.status !== 200 || !form) throw new Error(`no login page: ${res.status}`);
  return { browser, ...form };
}

export interface Attempt {
  status: number;
  retryAfter: string | null;
  /** The alert text of the page, if any. */
  message: string | undefined;
  ms: number;
}

export async function attempt(page: LoginPage, ip: string, username: string, password: string): Promise<Attempt> {
  const started = performance.now();
  const res = await page.browser.post(page.action, { ...page.fields, username, password }, { 'x-forwarded-for': ip });
  const body = await res.text();
  return {
    status: res.status,
    retryAfter: res.headers.get('retry-after'),
    message: body.match(/role="alert">([^<]*)</)?.[1],
    ms: performance.now() - started,
  };
}

/** A sign-in that got through the password check: the consent page (200 without an alert) or the redirect. */
export const signedIn = (a: Attempt) => a.status === 303 || (a.status === 200 && a.message === undefined);

/** Counts statuses: `{ 401: 5, 429: 35 }`. */
export function tally(attempts: readonly Attempt[]): Record<number, number> {
  const out: Record<number, number> = {};
  for (const a of attempts) out[a.status] = (out[a.status] ?? 0) + 1;
  return out;
}
