/**
 * A scripted browser for HTTP-level tests: follows the authorize → login → consent pages by reading their
 * forms, keeping cookies per path like a browser. (The Chromium test drives the real pages.)
 */
import { createHash, randomBytes } from 'node:crypto';
import { rememberSecret } from './log-scan.js';

export class CookieJar {
  private readonly cookies = new Map<string, { name: string; value: string; path: string }>();
  store(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';').map((s) => s.trim());
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq);
      const value = pair!.slice(eq + 1);
      let path = '/';
      let expired = false;
      for (const a of attrs) {
        const [k, v = ''] = a.split('=');
        if (k!.toLowerCase() === 'path') path = v;
        if (k!.toLowerCase() === 'max-age' && Number(v) <= 0) expired = true;
        if (k!.toLowerCase() === 'expires' && Date.parse(v) < Date.now()) expired = true;
      }
      rememberSecret(value); // a session cookie is a bearer credential (log-scan.ts)
      const key = `${name} ${path}`;
      if (expired || value === '') this.cookies.delete(key);
      else this.cookies.set(key, { name, value, path });
    }
  }
  header(url: string): string {
    const path = new URL(url).pathname;
    return [...this.cookies.values()]
      .filter((c) => path === c.path || path.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`) || c.path === '/')
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');
  }
}

export function pkce() {
  const verifier = randomBytes(32).toString('base64url');
  rememberSecret(verifier);
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export interface PageForm {
  action: string;
  fields: Record<string, string>;
}

export function forms(html: string): PageForm[] {
  const out: PageForm[] = [];
  for (const m of html.matchAll(/<form\b[^>]*action="([^"]*)"[^>]*>([\s\S]*?)<\/form>/g)) {
    const fields: Record<string, string> = {};
    for (const i of m[2]!.matchAll(/<input\b[^>]*>/g)) {
      const name = i[0].match(/name="([^"]*)"/)?.[1];
      const value = i[0].match(/value="([^"]*)"/)?.[1] ?? '';
      if (name) fields[name] = value.replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>');
    }
    out.push({ action: m[1]!.replace(/&amp;/g, '&'), fields });
  }
  return out;
}

export class Browser {
  readonly jar = new CookieJar();
  readonly base: string;
  constructor(base: string) {
    this.base = base;
  }

  async get(url: string): Promise<Response> {
    const res = await fetch(new URL(url, this.base), { redirect: 'manual', headers: { cookie: this.jar.header(new URL(url, this.base).href) } });
    this.jar.store(res);
    return res;
  }

  async post(url: string, form: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
    const full = new URL(url, this.base).href;
    const res = await fetch(full, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: this.jar.header(full), ...headers },
      body: new URLSearchParams(form).toString(),
    });
    this.jar.store(res);
    return res;
  }

  /** Submits the first form on the page with extra fields. */
  async submit(page: string, extra: Record<string, string> = {}, which = 0): Promise<Response> {
    const form = forms(page)[which];
    if (!form) throw new Error(`no form on page:\n${page.slice(0, 500)}`);
    return this.post(form.action, { ...form.fields, ...extra });
  }
}

export interface FlowOptions {
  clientId: string;
  redirectUri: string;
  scope?: string;
  email?: string;
  password?: string;
  extra?: Record<string, string>;
  consent?: boolean;
}

/** authorize → login → consent; returns the redirect Location with the code. */
export async function authorizeFlow(browser: Browser, o: FlowOptions) {
  const { verifier, challenge } = pkce();
  const state = randomBytes(8).toString('hex');
  const nonce = randomBytes(8).toString('hex');
  const params = new URLSearchParams({
    response_type: 'code',
    client_id: o.clientId,
    redirect_uri: o.redirectUri,
    scope: o.scope ?? 'openid profile email offline_access',
    state,
    nonce,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    ...o.extra,
  });
  let res = await browser.get(`/oauth/authorize?${params}`);
  if (res.status === 200) {
    const page = await res.text();
    if (page.includes('name="password"')) {
      res = await browser.submit(page, { username: o.email ?? 'admin@example.com', password: o.password ?? 'correct horse battery staple' });
    } else {
      res = await browser.submit(page, {}, o.consent === false ? 1 : 0);
    }
  }
  if (res.status === 200) {
    const page = await res.text();
    res = await browser.submit(page, {}, o.consent === false ? 1 : 0);
  }
  const location = res.headers.get('location');
  if (res.status !== 303 || !location) throw new Error(`flow did not redirect: ${res.status} ${await res.text()}`);
  const url = new URL(location);
  rememberSecret(url.searchParams.get('code'));
  if (o.password) rememberSecret(o.password);
  return { url, code: url.searchParams.get('code'), state, nonce, verifier, challenge };
}
