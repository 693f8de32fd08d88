/**
 * The route fuzzer of the adversarial suite (issue 10). Routes come from the real server's route table, built
 * in-process from the deployment's own config and database through the composition root, so a new route is
 * fuzzed without anyone listing it; the requests themselves go over HTTP to the `gatehouse serve` process.
 */
import fc from 'fast-check';
import { request as httpRequest, Agent } from 'undici';
import { loadConfig } from '../../src/config/load.js';
import { buildApp, createContainer } from '../../src/app.js';

export interface Route {
  path: string;
  methods: string[];
  params: string[];
  /** Browser routes answer errors with an HTML page, every other route with RFC 6749 §5.2 JSON. */
  browser: boolean;
}

/** The browser context of src/http/server.ts; a new browser route must be added here (its HTML errors fail otherwise). */
const BROWSER_PREFIXES = ['/oauth/authorize', '/oauth/interaction/', '/oauth/logout', '/device'];

/** Parses fastify's `printRoutes({ commonPrefix: false })` tree: one node a line, four columns per depth. */
export function parseRouteTree(tree: string): Route[] {
  const routes: Route[] = [];
  const stack: string[] = [];
  for (const line of tree.split('\n')) {
    const m = /^([│ ]*)[├└]── (\S+)(?: \(([^)]*)\))?$/.exec(line);
    if (!m) continue;
    const depth = m[1]!.length / 4;
    stack.length = depth;
    stack.push(m[2]!);
    if (!m[3]) continue;
    const path = stack.join('');
    routes.push({
      path,
      methods: m[3].split(',').map((s) => s.trim()),
      params: [...path.matchAll(/:(\w+)/g)].map((p) => p[1]!),
      browser: BROWSER_PREFIXES.some((p) => path.startsWith(p)),
    });
  }
  return routes;
}

/** Builds the app in this process on the deployment's config and database, reads its route table, closes it. */
export async function discoverRoutes(configPath: string): Promise<Route[]> {
  const container = await createContainer(loadConfig({ path: configPath }));
  try {
    const app = await buildApp(container);
    await app.ready();
    const routes = parseRouteTree(app.printRoutes({ commonPrefix: false }));
    await app.close();
    return routes;
  } finally {
    await container.close();
  }
}

/** Real credentials and identifiers, so that mutations reach past authentication into the handlers. */
export interface FuzzContext {
  authorizations: string[];
  cookies: string[];
  /** Valid values per path-parameter name (sacrificial clients and users: a DELETE may remove them). */
  ids: Record<string, string[]>;
  /** The CSRF token of each open interaction (by id), so that its form posts pass the check. */
  csrf: Record<string, string>;
  /** A valid query to mutate one parameter of (authorize and logout). */
  queries: Record<string, string>[];
  bodyLimit: number;
}

export interface FuzzRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}

const HOSTILE = [
  '',
  '\u0000',
  'a\u0000b',
  '\u0001\u0007\u001b\u001f\u007f',
  '\r\n',
  '%',
  '%zz',
  '%E0%A4%A',
  '%00',
  '%C0%AF',
  '%FF%FE',
  '..%2F..%2Fetc%2Fpasswd',
  '../../etc/passwd',
  '<script>alert(1)</script>',
  '"\'`',
  '${jndi:ldap://x}',
  '{{7*7}}',
  'null',
  'undefined',
  '[object Object]',
  '-1',
  '1e309',
  '9007199254740993',
  'true',
  ' ',
  '\u202e\u200b\ufeff',
  '𝕏😀',
  '\ud800',
  'https://127.0.0.1/x',
  'javascript:alert(1)',
  'a'.repeat(3000),
];

const hostileString = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...HOSTILE) },
  // NUL and other C0 controls inside otherwise ordinary values: PostgreSQL text refuses NUL (issue 10, defect 3).
  { weight: 2, arbitrary: fc.tuple(fc.string({ maxLength: 8 }), fc.constantFrom('\u0000', '\u0001', '\u001f', '\u0000\u0000')).map(([a, c]) => `${a}${c}${a}`) },
  { weight: 2, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: fc.integer({ min: 0, max: 31 }).map((n) => String.fromCharCode(n)), maxLength: 8 }) },
  { weight: 1, arbitrary: fc.integer({ min: 100, max: 2000 }).map((n) => 'x'.repeat(n)) },
);

/** Percent-encodes what the URL parser would otherwise reject, except deliberately invalid %-sequences. */
function encode(value: string, raw: boolean): string {
  // Lone surrogates cannot be UTF-8 encoded (encodeURIComponent throws): replaced as String#toWellFormed would.
  const wellFormed = value.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
  return raw ? wellFormed.replace(/[^\x21-\x7e]/gu, (c: string) => encodeURIComponent(c)).replace(/[#?&=+/]/g, (c: string) => encodeURIComponent(c)) : encodeURIComponent(wellFormed);
}

const QUERY_KEYS = [
  'response_type', 'client_id', 'redirect_uri', 'scope', 'state', 'nonce', 'code_challenge', 'code_challenge_method',
  'prompt', 'max_age', 'response_mode', 'login_hint', 'id_token_hint', 'post_logout_redirect_uri', 'access_token',
  'request', 'request_uri', 'claims', 'resource', 'ui_locales', 'acr_values', 'x',
];
const FORM_KEYS = [
  'grant_type', 'code', 'code_verifier', 'redirect_uri', 'refresh_token', 'client_id', 'client_secret', 'scope',
  'resource', 'token', 'token_type_hint', 'client_assertion', 'client_assertion_type', 'username', 'password', 'csrf',
  'decision', 'access_token', 'id_token_hint', 'state', 'x',
];
const METADATA_KEYS = [
  'redirect_uris', 'client_name', 'scope', 'grant_types', 'response_types', 'token_endpoint_auth_method', 'jwks',
  'jwks_uri', 'client_uri', 'logo_uri', 'post_logout_redirect_uris', 'contacts', 'grace', 'email', 'password',
  'given_name', 'family_name', 'disabled', 'email_verified', 'client_secret', 'audience', 'keys',
];

const pairs = (keys: string[]) =>
  fc.array(fc.tuple(fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...keys) }, { weight: 1, arbitrary: hostileString }), hostileString, fc.boolean()), {
    maxLength: 8,
  });

const jsonHostile: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(null, [], {}, 0, -1, 1.5, true, false, '', '\u0000', [null], [[]], [{}], { keys: [null] }, { keys: null }, { keys: [1, 'a'] }),
  hostileString,
  fc.jsonValue({ maxDepth: 3 }),
  fc.integer({ min: 50, max: 2000 }).map((depth) => JSON.parse('['.repeat(depth) + ']'.repeat(depth)) as unknown),
);

/** A JSON document: a plausible client-metadata object with hostile fields, or any shape at all. */
const jsonBody = fc.oneof(
  fc.dictionary(fc.constantFrom(...METADATA_KEYS), jsonHostile, { maxKeys: 4 }).map((extra) => JSON.stringify({ redirect_uris: ['https://a.example/cb'], ...extra })),
  fc.record({ jwks: jsonHostile }).map((o) => JSON.stringify({ redirect_uris: ['https://a.example/cb'], token_endpoint_auth_method: 'private_key_jwt', ...o })),
  fc.record({ grace: jsonHostile }).map((o) => JSON.stringify(o)),
  jsonHostile.map((v) => JSON.stringify(v) ?? 'null'),
  fc.constantFrom('{', '{"a":', '[1,]', '{"a":1}}', 'nul', '\u0000', '{"__proto__":{"x":1}}', '{"constructor":{"prototype":{"x":1}}}', '\ufeff{}'),
);

const CONTENT_TYPES = [
  'application/x-www-form-urlencoded',
  'application/json',
  'application/json; charset=utf-16',
  'application/x-www-form-urlencoded; charset=latin1',
  'text/plain',
  'multipart/form-data; boundary=x',
  'application/jwt',
  'application/*',
  ';;;',
  'application/json\u0000',
];

const EXTRA_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD', 'PROPFIND', 'SEARCH'];

function authorizations(ctx: FuzzContext): fc.Arbitrary<string | undefined> {
  return fc.oneof(
    { weight: 2, arbitrary: fc.constant(undefined) },
    { weight: 3, arbitrary: fc.constantFrom(...ctx.authorizations) },
    {
      weight: 3,
      arbitrary: fc.oneof(
        fc.constantFrom('Basic', 'Basic ', 'Basic %%%', 'Basic ====', 'Bearer', 'Bearer ', 'DPoP x', 'Negotiate x', 'basic Og==', 'Basic AA==', 'Basic AAAA'),
        hostileString.map((s) => `Basic ${Buffer.from(s).toString('base64')}`),
        fc.tuple(hostileString, hostileString).map(([a, b]) => `Basic ${Buffer.from(`${a}:${b}`).toString('base64')}`),
        hostileString.map((s) => `Bearer ${encode(s, true)}`),
        fc.constant(`Bearer ${Buffer.from('\u0000'.repeat(12)).toString('base64')}`),
      ),
    },
  );
}

function cookies(ctx: FuzzContext): fc.Arbitrary<string | undefined> {
  return fc.oneof(
    fc.constant(undefined),
    fc.constantFrom(...(ctx.cookies.length ? ctx.cookies : [''])),
    hostileString.map((s) => `gh_session=${encode(s, true)}`),
    hostileString.map((s) => `gh_session=s:${encode(s, true)}.${encode(s, true)}`),
    fc.constantFrom('gh_session', '=', ';;;', 'a=b; a=c', `gh_session=${'x'.repeat(8000)}`),
  );
}

/**
 * One hostile request against a route of the table. Half of them are "almost valid": real credentials, real ids,
 * the session and CSRF cookies, so that the hostile part (a query, a body) reaches the handler behind the checks.
 */
export function requestArbitrary(route: Route, ctx: FuzzContext): fc.Arbitrary<FuzzRequest> {
  return fc.constantFrom<Mode>('valid', 'credentials', 'random').chain((mode) => requestOf(route, ctx, mode));
}

/** valid: real credentials, ids and cookies; credentials: real credentials, hostile ids; random: anything. */
type Mode = 'valid' | 'credentials' | 'random';

function requestOf(route: Route, ctx: FuzzContext, mode: Mode): fc.Arbitrary<FuzzRequest> {
  const valid = mode === 'valid';
  const authenticated = mode !== 'random';
  const validId = (name: string) => fc.constantFrom(...(ctx.ids[name]?.length ? ctx.ids[name] : ['x'])).map((v) => encode(v, false));
  const param = (name: string) =>
    valid
      ? validId(name)
      : fc.oneof(
          { weight: 1, arbitrary: validId(name) },
          { weight: 4, arbitrary: fc.tuple(hostileString, fc.boolean()).map(([v, raw]) => encode(v, raw)) },
          { weight: 1, arbitrary: fc.integer({ min: 90, max: 20_000 }).map((n) => 'p'.repeat(n)) },
        );
  const path = fc.tuple(...route.params.map(param)).map((values) => {
    let i = 0;
    return route.path.replace(/:\w+/g, () => values[i++] ?? 'x');
  });
  const query = fc.tuple(fc.constantFrom<Record<string, string>>({}, ...ctx.queries), pairs(QUERY_KEYS)).map(([base, extra]) => {
    const parts = Object.entries(base).map(([k, v]) => `${k}=${encodeURIComponent(v)}`);
    for (const [k, v, raw] of extra) parts.push(`${encode(k, raw)}=${encode(v, raw)}`);
    return parts.length ? `?${parts.join('&')}` : '';
  });
  const csrfs = Object.values(ctx.csrf);
  const formBody = fc.tuple(fc.boolean(), fc.constantFrom(...(csrfs.length ? csrfs : [''])), pairs(FORM_KEYS)).map(([withCsrf, csrf, extra]) => {
    const parts = withCsrf || authenticated ? [`csrf=${encodeURIComponent(csrf)}`] : [];
    for (const [k, v, raw] of extra) parts.push(`${encode(k, raw)}=${encode(v, raw)}`);
    return parts.join('&');
  });
  const body = fc.oneof(
    { weight: 1, arbitrary: fc.constant(undefined) },
    { weight: 4, arbitrary: formBody.map((b) => ({ type: 'application/x-www-form-urlencoded', body: b })) },
    { weight: 4, arbitrary: jsonBody.map((b) => ({ type: 'application/json', body: b })) },
    { weight: 1, arbitrary: fc.constant({ type: 'application/x-www-form-urlencoded', body: `x=${'a'.repeat(ctx.bodyLimit + 10)}` }) },
    { weight: 1, arbitrary: fc.constant({ type: 'application/json', body: JSON.stringify({ x: 'a'.repeat(ctx.bodyLimit + 10) }) }) },
    { weight: 1, arbitrary: hostileString.map((b) => ({ type: undefined, body: b })) },
  );
  return fc
    .record({
      method: valid ? fc.constantFrom(...route.methods) : fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...route.methods) }, { weight: 1, arbitrary: fc.constantFrom(...EXTRA_METHODS) }),
      path,
      query,
      body,
      contentType: valid ? fc.constant('keep') : fc.oneof({ weight: 3, arbitrary: fc.constant('keep') }, { weight: 2, arbitrary: fc.constantFrom(...CONTENT_TYPES) }, { weight: 1, arbitrary: fc.constant('none') }),
      authorization: authenticated ? fc.constantFrom(...ctx.authorizations) : authorizations(ctx),
      cookie: authenticated ? fc.constantFrom(...(ctx.cookies.length ? ctx.cookies : [''])) : cookies(ctx),
      origin: fc.constantFrom(undefined, undefined, undefined, 'null', 'https://evil.example', 'http://127.0.0.1'),
      accept: fc.constantFrom(undefined, 'text/html', 'application/json', '*/*', 'x/y;q=abc'),
    })
    .map((r) => {
      const headers: Record<string, string> = {};
      const type = r.contentType === 'keep' ? r.body?.type : r.contentType === 'none' ? undefined : r.contentType;
      if (type && r.body) headers['content-type'] = type;
      if (r.authorization) headers['authorization'] = r.authorization;
      if (r.cookie) headers['cookie'] = r.cookie;
      if (r.origin && !valid) headers['origin'] = r.origin;
      if (r.accept) headers['accept'] = r.accept;
      const method = r.method;
      const withBody = method !== 'GET' && method !== 'HEAD' && r.body !== undefined;
      let body = withBody ? r.body!.body : undefined;
      // An almost-valid form post carries the CSRF token of the interaction its path names.
      const id = Object.keys(ctx.csrf).find((k) => r.path.includes(k));
      if (authenticated && id && body?.startsWith('csrf=')) body = body.replace(/^csrf=[^&]*/, `csrf=${encodeURIComponent(ctx.csrf[id]!)}`);
      return { method, path: `${r.path}${r.query}`, headers, ...(body !== undefined ? { body } : {}) };
    });
}

export interface FuzzResponse {
  status: number;
  contentType: string;
  body: string;
}

/** What must never appear in a response: stack frames, internal paths, framework error codes. */
const LEAKS: Array<[string, RegExp]> = [
  ['stack trace', /\bat (?:async )?[\w$.<>[\] ]+ \(|\bat (?:file|node):|\n\s+at /],
  ['internal path', /\/src\/|\/dist\/|node_modules/],
  ['absolute path', new RegExp(process.cwd().replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))],
  ['framework code', /FST_[A-Z_]+/],
];

/** The problems of one response (empty when it is as the protocol demands). */
export function checkResponse(route: Route, req: FuzzRequest, res: FuzzResponse): string[] {
  const problems: string[] = [];
  if (res.status >= 500) problems.push(`status ${res.status}`);
  const sent = `${req.path} ${JSON.stringify(req.headers)} ${req.body ?? ''}`;
  for (const [what, re] of LEAKS) {
    // Values the request itself carried may be echoed (a client_name, a username): only a leak if not sent.
    const m = re.exec(res.body);
    if (m && !sent.includes(m[0])) problems.push(`${what} in body: ${JSON.stringify(m[0])}`);
  }
  if (res.status >= 400 && req.method !== 'HEAD') {
    // 431 comes from the HTTP parser before any route matched: either error format will do.
    const registered = route.methods.includes(req.method) && res.status !== 431;
    const html = res.contentType.startsWith('text/html');
    const jsonError = res.contentType.startsWith('application/json') && hasErrorMember(res.body);
    if (registered && route.browser && !html) problems.push(`browser route answered ${res.status} ${res.contentType || '(no type)'}, not an HTML page`);
    if (registered && !route.browser && !jsonError) problems.push(`API route answered ${res.status} ${res.contentType || '(no type)'} without a JSON "error" string`);
    if (!registered && !html && !jsonError) problems.push(`unregistered method answered ${res.status} in neither error format`);
  }
  return problems;
}

function hasErrorMember(body: string): boolean {
  try {
    const parsed = JSON.parse(body) as unknown;
    return !!parsed && typeof parsed === 'object' && typeof (parsed as { error?: unknown }).error === 'string';
  } catch {
    return false;
  }
}

export interface FuzzProblem {
  route: string;
  problems: string[];
  request: FuzzRequest;
  status: number;
  body: string;
}

export interface FuzzFigures {
  requests: number;
  fiveHundreds: number;
  unsent: number;
  problems: FuzzProblem[];
  byRoute: Record<string, number>;
  /** "route | problem | status" → count, over every bad answer (the examples keep the first ones only). */
  kinds: Record<string, number>;
}

/**
 * Sends `runs` requests per route (undici, a few connections, bounded by `deadline`) and checks every answer.
 * Requests undici refuses to put on the wire (a header it deems invalid) are counted as unsent.
 */
export async function fuzzRoutes(base: string, routes: Route[], ctx: FuzzContext, options: { runs: number; seed: number; deadline: number; concurrency?: number }): Promise<FuzzFigures> {
  const dispatcher = new Agent({ connections: options.concurrency ?? 4, headersTimeout: 15_000, bodyTimeout: 15_000 });
  const figures: FuzzFigures = { requests: 0, fiveHundreds: 0, unsent: 0, problems: [], byRoute: {}, kinds: {} };
  try {
    const jobs: Array<{ route: Route; req: FuzzRequest }> = [];
    routes.forEach((route, i) => {
      for (const req of fc.sample(requestArbitrary(route, ctx), { numRuns: options.runs, seed: options.seed + i })) jobs.push({ route, req });
    });
    let next = 0;
    const worker = async () => {
      while (next < jobs.length && Date.now() < options.deadline) {
        const { route, req } = jobs[next++]!;
        let res: FuzzResponse;
        try {
          // One connection per request: a request the server mishandles cannot stall the ones queued behind it.
          const r = await withTimeout(httpRequest(`${base}${req.path}`, { method: req.method, headers: req.headers, body: req.body, dispatcher, reset: true }));
          const body = await withTimeout(r.body.text());
          res = { status: r.statusCode, contentType: String(r.headers['content-type'] ?? ''), body };
        } catch (err) {
          if ((err as { code?: string }).code === 'UND_ERR_INVALID_ARG' || err instanceof TypeError) {
            figures.unsent++;
            continue;
          }
          figures.requests++;
          figures.problems.push({ route: route.path, problems: [`transport error: ${(err as Error).message}`], request: req, status: 0, body: '' });
          continue;
        }
        figures.requests++;
        figures.byRoute[route.path] = (figures.byRoute[route.path] ?? 0) + 1;
        if (res.status >= 500) figures.fiveHundreds++;
        const problems = checkResponse(route, req, res);
        for (const p of problems) {
          const kind = `${route.path} | ${p.replace(/: .*/, '')} | ${res.status}`;
          figures.kinds[kind] = (figures.kinds[kind] ?? 0) + 1;
        }
        if (problems.length) figures.problems.push({ route: route.path, problems, request: req, status: res.status, body: res.body.slice(0, 300) });
      }
    };
    await Promise.all(Array.from({ length: options.concurrency ?? 4 }, worker));
  } finally {
    await dispatcher.close();
  }
  return figures;
}

/** An answer that does not come within 10 s is a finding (a hung request), not a reason to stall the run. */
function withTimeout<T>(p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, rej) => (timer = setTimeout(() => rej(new Error('no answer within 10 s')), 10_000)));
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

/** A reproduction a person can paste: the request as curl would send it. */
export function describeProblem(p: FuzzProblem): string {
  const body = p.request.body === undefined ? '' : ` body=${JSON.stringify(p.request.body.length > 200 ? `${p.request.body.slice(0, 200)}…(${p.request.body.length})` : p.request.body)}`;
  const path = p.request.path.length > 300 ? `${p.request.path.slice(0, 300)}…(${p.request.path.length})` : p.request.path;
  return `${p.problems.join('; ')}\n    ${p.request.method} ${path} headers=${JSON.stringify(p.request.headers).slice(0, 300)}${body}\n    → ${p.status} ${p.body.slice(0, 200)}`;
}
