import { createHash, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { createDeployment, freePort, type Deployment, type ServerProcess } from '../helpers/server.js';
import { startExample, type RunningExample } from '../helpers/examples.js';
import { basic, postForm } from '../helpers/http.js';

describe('examples/resource-server verifies Gatehouse tokens', () => {
  let dep: Deployment;
  let srv: ServerProcess;
  let rs: RunningExample;
  let rsUrl: string;
  let client: { client_id: string; client_secret: string };
  beforeAll(async () => {
    dep = await createDeployment('sqlite', { auth: { accessTokenExpiry: 2 } });
    srv = await dep.serve();
    client = JSON.parse((await dep.cli(['clients', 'create', '--scope', 'api:read', '--resource', 'https://api.example.com', '--resource', 'https://other.example.com', '--json'])).stdout);
    // The example as its header says to run it (Node 20, no build step), pointed at this test's issuer.
    const port = await freePort();
    rs = await startExample('examples/resource-server/server.mjs', { ISSUER: dep.issuer, PORT: String(port) });
    rsUrl = `http://127.0.0.1:${port}/`;
  });
  afterAll(async () => {
    await rs?.stop();
    await dep?.cleanup();
  });

  const token = async (resource: string) =>
    (await postForm(`${srv.url}/oauth/token`, { grant_type: 'client_credentials', scope: 'api:read', resource }, { authorization: basic(client.client_id, client.client_secret) })).json['access_token'] as string;
  const call = (t: string) => fetch(rsUrl, { headers: { authorization: `Bearer ${t}` } });

  it('DPoP: a bound token only with a proof of its key, for this URL, naming the token, used once', async () => {
    const keys = await generateKeyPair('ES256');
    const proof = async (k: typeof keys, htm: string, htu: string, extra: Record<string, unknown> = {}) =>
      new SignJWT({ htm, htu, jti: randomUUID(), iat: Math.floor(Date.now() / 1000), ...extra })
        .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: await exportJWK(k.publicKey) })
        .sign(k.privateKey);
    const issued = await postForm(`${srv.url}/oauth/token`, { grant_type: 'client_credentials', scope: 'api:read', resource: 'https://api.example.com' }, {
      authorization: basic(client.client_id, client.client_secret),
      dpop: await proof(keys, 'POST', `${dep.issuer}/oauth/token`),
    });
    expect(issued.json['token_type']).toBe('DPoP');
    const at = issued.json['access_token'] as string;
    const ath = createHash('sha256').update(at).digest('base64url');
    const send = (dpop: string | undefined, scheme = 'DPoP') => fetch(rsUrl, { headers: { authorization: `${scheme} ${at}`, ...(dpop ? { dpop } : {}) } });
    const good = await proof(keys, 'GET', rsUrl, { ath });
    expect((await send(good)).status).toBe(200);
    expect((await send(good)).status).toBe(401); // replayed
    expect((await send(undefined, 'Bearer')).status).toBe(401);
    expect((await send(undefined)).headers.get('www-authenticate')).toMatch(/^DPoP error="invalid_token"/);
    expect((await send(await proof(keys, 'GET', rsUrl, { ath: 'x' }))).status).toBe(401);
    expect((await send(await proof(keys, 'GET', `${rsUrl}other`, { ath }))).status).toBe(401);
    expect((await send(await proof(await generateKeyPair('ES256'), 'GET', rsUrl, { ath }))).status).toBe(401);
  });

  it('accepts a fresh token; rejects tampered, wrong-audience and expired tokens; introspection sees revocation', async () => {
    const fresh = await token('https://api.example.com');
    const ok = await call(fresh);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ hello: client.client_id, scope: 'api:read' });
    const [h, p, s] = fresh.split('.');
    const claims = JSON.parse(Buffer.from(p!, 'base64url').toString());
    const tampered = `${h}.${Buffer.from(JSON.stringify({ ...claims, scope: 'api:write' })).toString('base64url')}.${s}`;
    expect((await call(tampered)).status).toBe(401);
    expect((await call(await token('https://other.example.com'))).status).toBe(401);

    await postForm(`${srv.url}/oauth/revoke`, { token: fresh }, { authorization: basic(client.client_id, client.client_secret) });
    const intro = await postForm(`${srv.url}/oauth/introspect`, { token: fresh }, { authorization: basic(client.client_id, client.client_secret) });
    expect(intro.json).toEqual({ active: false });

    await new Promise((r) => setTimeout(r, 3100));
    expect((await call(fresh)).status).toBe(401); // expired
  });
});
