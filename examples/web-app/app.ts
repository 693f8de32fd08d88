/**
 * A relying party built on openid-client (a certified RP library): login with PKCE, callback that validates the
 * ID token, userinfo, refresh, and RP-initiated logout. Used by the browser test; a template for real apps.
 */
import { createServer, type Server } from 'node:http';
import * as client from 'openid-client';

export interface WebAppOptions {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Origin this app listens on, e.g. http://127.0.0.1:8080 */
  origin: string;
}

export async function webApp(o: WebAppOptions): Promise<Server> {
  const config = await client.discovery(new URL(o.issuer), o.clientId, undefined, client.ClientSecretBasic(o.clientSecret), {
    execute: o.issuer.startsWith('http:') ? [client.allowInsecureRequests] : [],
  });
  const pending = new Map<string, { verifier: string; nonce: string }>();
  let lastIdToken: string | undefined;
  return createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', o.origin);
    try {
      if (url.pathname === '/login') {
        const verifier = client.randomPKCECodeVerifier();
        const state = client.randomState();
        const nonce = client.randomNonce();
        pending.set(state, { verifier, nonce });
        const target = client.buildAuthorizationUrl(config, {
          redirect_uri: `${o.origin}/callback`,
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
        const claims = tokens.claims()!;
        const userinfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
        const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!);
        lastIdToken = refreshed.id_token ?? tokens.id_token;
        res.writeHead(200, { 'content-type': 'application/json' }).end(
          JSON.stringify({ sub: claims.sub, email: userinfo.email, refreshed: refreshed.access_token !== tokens.access_token }),
        );
        return;
      }
      if (url.pathname === '/logout') {
        const target = client.buildEndSessionUrl(config, { id_token_hint: lastIdToken ?? '', post_logout_redirect_uri: `${o.origin}/bye`, state: 'bye-state' });
        res.writeHead(302, { location: target.href }).end();
        return;
      }
      if (url.pathname === '/bye') {
        res.writeHead(200, { 'content-type': 'text/plain' }).end(`signed out ${url.searchParams.get('state')}`);
        return;
      }
      res.writeHead(404).end();
    } catch (err) {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(`relying party error: ${(err as Error).message}`);
    }
  });
}
