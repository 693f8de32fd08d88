import { createServer, type Server } from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as oauth from 'oauth4webapi';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { createDeployment, DIALECTS, type Deployment, type ServerProcess } from '../helpers/server.js';
import { postgresAvailable } from '../helpers/postgres.js';
import { basic, postForm } from '../helpers/http.js';

const pg = await postgresAvailable();
const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

describe.each(DIALECTS)('client authentication methods (%s)', (dialect) => {
  const skip = dialect === 'postgres' && !pg;
  let dep: Deployment;
  let srv: ServerProcess;
  let jwksServer: Server;
  let keys: Awaited<ReturnType<typeof generateKeyPair>>;
  let pkjwt: string;
  let pkjwtUri: string;
  let hs: { client_id: string; client_secret: string };
  let post: { client_id: string; client_secret: string };

  const cli = async (args: string[]) => {
    const r = await dep.cli([...args, '--json']);
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout);
  };

  beforeAll(async () => {
    if (skip) return;
    // The jwks_uri below is a loopback listener: allowed only by the development switch (see ssrf.test.ts).
    dep = await createDeployment(dialect, { outbound: { allowInsecureLoopback: true } });
    srv = await dep.serve();
    keys = await generateKeyPair('ES256');
    const jwk = { ...(await exportJWK(keys.publicKey)), kid: 'k1', alg: 'ES256' };
    writeFileSync(join(dep.dir, 'client-jwks.json'), JSON.stringify({ keys: [jwk] }));
    jwksServer = createServer((_req, res) => res.setHeader('content-type', 'application/json').end(JSON.stringify({ keys: [jwk] })));
    await new Promise<void>((r) => jwksServer.listen(0, '127.0.0.1', r));
    const jwksUri = `http://127.0.0.1:${(jwksServer.address() as { port: number }).port}/jwks`;
    pkjwt = (await cli(['clients', 'create', '--auth', 'private_key_jwt', '--jwks', join(dep.dir, 'client-jwks.json'), '--scope', 'api:read'])).client_id;
    pkjwtUri = (await cli(['clients', 'create', '--auth', 'private_key_jwt', '--jwks-uri', jwksUri, '--scope', 'api:read'])).client_id;
    hs = await cli(['clients', 'create', '--auth', 'client_secret_jwt', '--scope', 'api:read']);
    post = await cli(['clients', 'create', '--auth', 'client_secret_post', '--scope', 'api:read']);
  });
  afterAll(async () => {
    jwksServer?.close();
    await dep?.cleanup();
  });

  const assertion = async (clientId: string, claims: Record<string, unknown> = {}, alg = 'ES256', key: unknown = keys.privateKey) =>
    new SignJWT({ jti: crypto.randomUUID(), ...claims })
      .setProtectedHeader({ alg, kid: 'k1' })
      .setIssuer(clientId)
      .setSubject(clientId)
      .setAudience((claims['aud'] as string) ?? `${dep.issuer}/oauth/token`)
      .setIssuedAt()
      .setExpirationTime((claims['exp'] as number) ?? '5m')
      .sign(key as Parameters<SignJWT['sign']>[0]);

  const cc = (form: Record<string, string>, headers: Record<string, string> = {}) =>
    postForm(`${srv.url}/oauth/token`, { grant_type: 'client_credentials', ...form }, headers);

  it.skipIf(skip)('private_key_jwt with inline jwks and with jwks_uri (oauth4webapi)', async () => {
    for (const id of [pkjwt, pkjwtUri]) {
      const as = { issuer: dep.issuer, token_endpoint: `${srv.url}/oauth/token` } as oauth.AuthorizationServer;
      const auth = oauth.PrivateKeyJwt({ key: keys.privateKey, kid: 'k1' });
      const res = await oauth.clientCredentialsGrantRequest(as, { client_id: id }, auth, new URLSearchParams({ scope: 'api:read' }), {
        [oauth.allowInsecureRequests]: true,
      });
      const tr = await oauth.processClientCredentialsResponse(as, { client_id: id }, res);
      expect(tr.access_token).toBeTypeOf('string');
    }
  });

  it.skipIf(skip)('assertion audience may be the issuer, the token endpoint or the endpoint called', async () => {
    for (const aud of [dep.issuer, `${dep.issuer}/oauth/token`]) {
      expect((await cc({ client_assertion_type: ASSERTION_TYPE, client_assertion: await assertion(pkjwt, { aud }) })).status).toBe(200);
    }
    const token = (await cc({ client_assertion_type: ASSERTION_TYPE, client_assertion: await assertion(pkjwt) })).json['access_token'] as string;
    const intro = await postForm(`${srv.url}/oauth/introspect`, {
      token,
      client_assertion_type: ASSERTION_TYPE,
      client_assertion: await assertion(pkjwt, { aud: `${dep.issuer}/oauth/introspect` }),
    });
    expect(intro.json['active']).toBe(true);
  });

  it.skipIf(skip)('refuses replayed jti, wrong aud, expired, over-long and foreign-key assertions', async () => {
    const once = await assertion(pkjwt);
    expect((await cc({ client_assertion_type: ASSERTION_TYPE, client_assertion: once })).status).toBe(200);
    const replay = await cc({ client_assertion_type: ASSERTION_TYPE, client_assertion: once });
    expect(replay.status).toBe(401);
    expect(replay.json['error']).toBe('invalid_client');
    const wrongAud = await cc({ client_assertion_type: ASSERTION_TYPE, client_assertion: await assertion(pkjwt, { aud: 'https://elsewhere.example' }) });
    expect(wrongAud.json['error']).toBe('invalid_client');
    const now = Math.floor(Date.now() / 1000);
    const expired = await cc({ client_assertion_type: ASSERTION_TYPE, client_assertion: await assertion(pkjwt, { exp: now - 120 }) });
    expect(expired.json['error']).toBe('invalid_client');
    const long = await cc({ client_assertion_type: ASSERTION_TYPE, client_assertion: await assertion(pkjwt, { exp: now + 7200 }) });
    expect(long.json['error']).toBe('invalid_client');
    const other = await generateKeyPair('ES256');
    const foreign = await cc({ client_assertion_type: ASSERTION_TYPE, client_assertion: await assertion(pkjwt, {}, 'ES256', other.privateKey) });
    expect(foreign.json['error']).toBe('invalid_client');
    const badType = await cc({ client_assertion_type: 'urn:other', client_assertion: await assertion(pkjwt) });
    expect(badType.json['error']).toBe('invalid_request');
  });

  it.skipIf(skip)('client_secret_jwt (HS256) works; its secret does not work as basic', async () => {
    const key = new TextEncoder().encode(hs.client_secret);
    const jwt = await assertion(hs.client_id, {}, 'HS256', key);
    expect((await cc({ client_assertion_type: ASSERTION_TYPE, client_assertion: jwt })).status).toBe(200);
    const asBasic = await cc({}, { authorization: basic(hs.client_id, hs.client_secret) });
    expect(asBasic.status).toBe(401);
    expect(asBasic.headers.get('www-authenticate')).toMatch(/^Basic/);
  });

  it.skipIf(skip)('client_secret_post works; two methods at once is invalid_request; a public client cannot use client_credentials', async () => {
    expect((await cc({ client_id: post.client_id, client_secret: post.client_secret })).status).toBe(200);
    const both = await cc({ client_id: post.client_id, client_secret: post.client_secret }, { authorization: basic(post.client_id, post.client_secret) });
    expect(both.status).toBe(400);
    expect(both.json['error']).toBe('invalid_request');
    const asBasic = await cc({}, { authorization: basic(post.client_id, post.client_secret) });
    expect(asBasic.json['error']).toBe('invalid_client');
    const pub = await cc({ client_id: '00000000-0000-4000-8000-000000000001' });
    expect(pub.json['error']).toBe('unauthorized_client');
    const mismatch = await cc({ client_id: 'someone-else' }, { authorization: basic(post.client_id, post.client_secret) });
    expect(mismatch.json['error']).toBe('invalid_client');
  });
});
