// @ts-check
/**
 * A relying party built on openid-client (a certified RP library): login with PKCE, a callback that validates the
 * ID token, userinfo, refresh, and RP-initiated logout. Plain JavaScript so that Node 20 runs it as it is. From the
 * repository root, beside `npm start`, with DEMO_SECRET set to the demo client's secret that `npm start` printed:
 *
 * Run: CLIENT_SECRET="$DEMO_SECRET" node examples/web-app/app.mjs
 *
 * then open http://localhost:8080/login. Settings (environment): ISSUER (http://localhost:9000), CLIENT_ID
 * (demo-client), CLIENT_SECRET, ORIGIN (http://localhost:8080: the demo client's registered redirect URI is
 * ORIGIN/callback and its post-logout URI ORIGIN/bye).
 */
import { createServer } from 'node:http';
import * as client from 'openid-client';

const issuer = process.env['ISSUER'] ?? 'http://localhost:9000';
const clientId = process.env['CLIENT_ID'] ?? 'demo-client';
const clientSecret = process.env['CLIENT_SECRET'];
const origin = process.env['ORIGIN'] ?? 'http://localhost:8080';
if (!clientSecret) {
  console.error('CLIENT_SECRET is required: the demo client secret `npm start` printed (or `./bin/gatehouse clients rotate-secret demo-client`)');
  process.exit(2);
}

const config = await client.discovery(new URL(issuer), clientId, undefined, client.ClientSecretBasic(clientSecret), {
  execute: issuer.startsWith('http:') ? [client.allowInsecureRequests] : [],
});
/** @type {Map<string, { verifier: string, nonce: string }>} */
const pending = new Map();
/** @type {string | undefined} */
let lastIdToken;

const server = createServer(async (req, res) => {
  const url = new URL(req.url ?? '/', origin);
  try {
    if (url.pathname === '/login') {
      const verifier = client.randomPKCECodeVerifier();
      const state = client.randomState();
      const nonce = client.randomNonce();
      pending.set(state, { verifier, nonce });
      const target = client.buildAuthorizationUrl(config, {
        redirect_uri: `${origin}/callback`,
        scope: 'openid profile email offline_access',
        code_challenge: await client.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state,
        nonce,
      });
      res.writeHead(302, { location: target.href }).end();
      return;
    }
    if (url.pathname === '/callback') {
      const state = url.searchParams.get('state') ?? '';
      const p = pending.get(state);
      if (!p) throw new Error('unknown state');
      pending.delete(state);
      const tokens = await client.authorizationCodeGrant(config, url, { pkceCodeVerifier: p.verifier, expectedState: state, expectedNonce: p.nonce, idTokenExpected: true });
      const claims = /** @type {client.IDToken} */ (tokens.claims());
      const userinfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
      const refreshed = await client.refreshTokenGrant(config, /** @type {string} */ (tokens.refresh_token));
      lastIdToken = refreshed.id_token ?? tokens.id_token;
      res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({ sub: claims.sub, email: userinfo.email, refreshed: refreshed.access_token !== tokens.access_token }),
      );
      return;
    }
    if (url.pathname === '/logout') {
      const target = client.buildEndSessionUrl(config, { id_token_hint: lastIdToken ?? '', post_logout_redirect_uri: `${origin}/bye`, state: 'bye-state' });
      res.writeHead(302, { location: target.href }).end();
      return;
    }
    if (url.pathname === '/bye') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end(`signed out ${url.searchParams.get('state')}`);
      return;
    }
    res.writeHead(404).end();
  } catch (err) {
    res.writeHead(500, { 'content-type': 'text/plain' }).end(`relying party error: ${/** @type {Error} */ (err).message}`);
  }
});

const { hostname, port } = new URL(origin);
server.listen(Number(port || 80), hostname === 'localhost' ? '127.0.0.1' : hostname, () => console.log(`web app listening on ${origin}/ (open ${origin}/login)`));
