/**
 * Issue 13: opaque access tokens, per client (`access_token_format: opaque`) and per resource
 * (`auth.opaqueResources`). Checked against the built server on SQLite and PostgreSQL: the token is a random
 * value, not a JWT; introspection (JSON and RFC 9701 JWT) answers for it as for a JWT; userinfo accepts it;
 * revocation, expiry and a refresh-token replay end it; `gatehouse cleanup` purges it; the table holds only its
 * hash.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { decodeJwt } from 'jose';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDeployment, DEMO_SECRET, DIALECTS, type Deployment, type ServerProcess } from '../helpers/server.js';
import { postgresAvailable } from '../helpers/postgres.js';
import { basic, json, postForm } from '../helpers/http.js';
import { Browser, authorizeFlow } from '../helpers/flow.js';

const pg_ = await postgresAvailable();
const REDIRECT = 'http://localhost:8080/callback';
const DEMO = basic('demo-client', DEMO_SECRET);
const OPAQUE_RESOURCE = 'https://other.example.com';
const JWT_SHAPE = /^[\w-]+\.[\w-]+\.[\w-]+$/;
type Creds = { client_id: string; client_secret: string };

describe.each(DIALECTS)('opaque access tokens (%s)', (dialect) => {
  const skip = dialect === 'postgres' && !pg_;
  let dep: Deployment;
  let srv: ServerProcess;
  let opaque: Creds;
  let shortLived: Creds;
  beforeAll(async () => {
    if (skip) return;
    dep = await createDeployment(dialect, { auth: { opaqueResources: [OPAQUE_RESOURCE] } });
    srv = await dep.serve();
    const created = await dep.cli([
      'clients', 'create', '--redirect-uri', REDIRECT, '--grant', 'authorization_code', '--grant', 'refresh_token',
      '--grant', 'client_credentials', '--scope', 'openid profile email offline_access api:read', '--access-token-format', 'opaque', '--resource', 'https://api.example.com', '--json',
    ]);
    expect(created.code, created.stderr).toBe(0);
    opaque = JSON.parse(created.stdout) as Creds;
    const file = join(dep.dir, 'short.json');
    writeFileSync(file, JSON.stringify({ grant_types: ['client_credentials'], scope: 'api:read', access_token_format: 'opaque', access_token_ttl: 2 }));
    shortLived = JSON.parse((await dep.cli(['clients', 'create', '--metadata', file, '--json'])).stdout) as Creds;
  });
  afterAll(async () => dep?.cleanup());

  const token = async (c: Creds | string, form: Record<string, string>) => {
    const r = await postForm(`${srv.url}/oauth/token`, form, { authorization: typeof c === 'string' ? c : basic(c.client_id, c.client_secret) });
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    return r.json as Record<string, string | number>;
  };
  const introspect = async (c: Creds | string, t: string) =>
    (await postForm(`${srv.url}/oauth/introspect`, { token: t }, { authorization: typeof c === 'string' ? c : basic(c.client_id, c.client_secret) })).json;
  const signIn = async () => {
    const flow = await authorizeFlow(new Browser(srv.url), { clientId: opaque.client_id, redirectUri: REDIRECT });
    return token(opaque, { grant_type: 'authorization_code', code: flow.code!, code_verifier: flow.verifier, redirect_uri: REDIRECT });
  };
  /** The rows of opaque_access_tokens, read straight from the database. */
  const rows = async (): Promise<Array<Record<string, unknown>>> => {
    const config = parse(readFileSync(dep.configPath, 'utf8')) as { database: { url: string; schema?: string } };
    if (dialect === 'sqlite') {
      const db = new SQLite(config.database.url.slice('sqlite:'.length), { readonly: true });
      try {
        return db.prepare('select * from opaque_access_tokens').all() as Array<Record<string, unknown>>;
      } finally {
        db.close();
      }
    }
    const client = new pg.Client({ connectionString: config.database.url, options: `-c search_path=${config.database.schema}` });
    await client.connect();
    try {
      return (await client.query('select * from opaque_access_tokens')).rows as Array<Record<string, unknown>>;
    } finally {
      await client.end();
    }
  };
  const hashOf = (t: string) => createHash('sha256').update(t).digest('base64url');

  it.skipIf(skip)("an opaque client's client_credentials token is a random value that introspects like a JWT; the table holds only its hash", async () => {
    const t = await token(opaque, { grant_type: 'client_credentials', scope: 'api:read', resource: 'https://api.example.com' });
    const at = t['access_token'] as string;
    expect(at).not.toMatch(JWT_SHAPE);
    expect(at).toMatch(/^[\w-]{43}$/);
    expect(t).toEqual({ access_token: at, token_type: 'Bearer', expires_in: 3600, scope: 'api:read' });
    const now = Math.floor(Date.now() / 1000);
    const r = await introspect(opaque, at);
    expect(r).toMatchObject({ active: true, scope: 'api:read', client_id: opaque.client_id, sub: opaque.client_id, aud: 'https://api.example.com', iss: dep.issuer, token_type: 'Bearer' });
    expect(r['exp']).toBe((r['iat'] as number) + 3600);
    expect(Math.abs((r['iat'] as number) - now)).toBeLessThan(5);
    expect(r['jti']).toBeTypeOf('string');
    // The same keys as a JWT's introspection (RFC 7662 §2.2).
    const jwt = (await token(DEMO, { grant_type: 'client_credentials', scope: 'api:read', resource: 'https://api.example.com' }))['access_token'] as string;
    expect(jwt).toMatch(JWT_SHAPE);
    expect(Object.keys(r).sort()).toEqual(Object.keys(await introspect(DEMO, jwt)).sort());

    // RFC 9701: the JWT variant carries the same answer.
    const signed = await fetch(`${srv.url}/oauth/introspect`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(opaque.client_id, opaque.client_secret), accept: 'application/token-introspection+jwt' },
      body: new URLSearchParams({ token: at }).toString(),
    });
    expect(signed.headers.get('content-type')).toMatch(/^application\/token-introspection\+jwt/);
    expect(decodeJwt(await signed.text())['token_introspection']).toEqual(r);

    // The resource server for the token's audience may introspect it too; a client of another audience may not.
    expect((await introspect(DEMO, at))['active']).toBe(true);

    const stored = await rows();
    const row = stored.find((x) => x['token_hash'] === hashOf(at));
    expect(row).toBeDefined();
    expect(JSON.stringify(stored)).not.toContain(at);
    expect(row).toMatchObject({ client_id: opaque.client_id, sub: opaque.client_id, scope: 'api:read', grant_id: null });
  });

  it.skipIf(skip)('a code-flow user token is opaque, works at userinfo, its ID token at_hash covers it, refresh tokens are opaque too', async () => {
    const t = await signIn();
    const at = t['access_token'] as string;
    expect(at).not.toMatch(JWT_SHAPE);
    expect(Object.keys(t).sort()).toEqual(['access_token', 'expires_in', 'id_token', 'refresh_token', 'scope', 'token_type']);
    const id = decodeJwt(t['id_token'] as string);
    expect(id['at_hash']).toBe(createHash('sha256').update(at).digest().subarray(0, 16).toString('base64url'));
    const userinfo = await json(`${srv.url}/oauth/userinfo`, { headers: { authorization: `Bearer ${at}` } });
    expect(userinfo.status).toBe(200);
    expect(userinfo.json).toMatchObject({ sub: id.sub, email: 'admin@example.com' });
    expect(await introspect(opaque, at)).toMatchObject({ active: true, sub: id.sub, client_id: opaque.client_id, scope: 'openid profile email offline_access', token_type: 'Bearer' });

    // The refresh grant honours the format as well.
    const r = await token(opaque, { grant_type: 'refresh_token', refresh_token: t['refresh_token'] as string });
    expect(r['access_token']).not.toMatch(JWT_SHAPE);
    expect((await json(`${srv.url}/oauth/userinfo`, { headers: { authorization: `Bearer ${r['access_token']}` } })).status).toBe(200);
  });

  it.skipIf(skip)('revocation (RFC 7009) makes it inactive at once: introspection and userinfo refuse it', async () => {
    const t = await signIn();
    const at = t['access_token'] as string;
    expect((await introspect(opaque, at))['active']).toBe(true);
    // Another client cannot revoke it.
    expect((await postForm(`${srv.url}/oauth/revoke`, { token: at }, { authorization: DEMO })).json['error']).toBe('unauthorized_client');
    const revoked = await postForm(`${srv.url}/oauth/revoke`, { token: at, token_type_hint: 'access_token' }, { authorization: basic(opaque.client_id, opaque.client_secret) });
    expect(revoked.status).toBe(200);
    expect(await introspect(opaque, at)).toEqual({ active: false });
    expect((await fetch(`${srv.url}/oauth/userinfo`, { headers: { authorization: `Bearer ${at}` } })).status).toBe(401);
    expect((await rows()).some((x) => x['token_hash'] === hashOf(at))).toBe(false);
    // The refresh token (another token) still works.
    expect((await token(opaque, { grant_type: 'refresh_token', refresh_token: t['refresh_token'] as string }))['access_token']).toBeTypeOf('string');
  });

  it.skipIf(skip)('a refresh-token replay revokes the family: every opaque access token of the grant goes inactive', async () => {
    const t1 = await signIn();
    const t2 = await token(opaque, { grant_type: 'refresh_token', refresh_token: t1['refresh_token'] as string });
    for (const t of [t1, t2]) expect((await introspect(opaque, t['access_token'] as string))['active']).toBe(true);
    const replay = await postForm(`${srv.url}/oauth/token`, { grant_type: 'refresh_token', refresh_token: t1['refresh_token'] as string }, { authorization: basic(opaque.client_id, opaque.client_secret) });
    expect(replay.json['error']).toBe('invalid_grant');
    for (const t of [t1, t2]) {
      expect(await introspect(opaque, t['access_token'] as string)).toEqual({ active: false });
      expect((await fetch(`${srv.url}/oauth/userinfo`, { headers: { authorization: `Bearer ${t['access_token']}` } })).status).toBe(401);
    }
  });

  it.skipIf(skip)('expiry is enforced, and gatehouse cleanup purges the expired row', async () => {
    const t = await token(shortLived, { grant_type: 'client_credentials', scope: 'api:read' });
    const at = t['access_token'] as string;
    expect(t['expires_in']).toBe(2);
    expect((await introspect(shortLived, at))['active']).toBe(true);
    await new Promise((r) => setTimeout(r, 3100));
    expect(await introspect(shortLived, at)).toEqual({ active: false });
    expect((await rows()).some((x) => x['token_hash'] === hashOf(at))).toBe(true);
    const cleanup = await dep.cli(['cleanup']);
    expect(cleanup.code, cleanup.stderr).toBe(0);
    expect((await rows()).some((x) => x['token_hash'] === hashOf(at))).toBe(false);
  });

  it.skipIf(skip)('a JWT client is unchanged, except for a resource configured opaque, whose tokens are opaque for it too', async () => {
    const jwt = await token(DEMO, { grant_type: 'client_credentials', scope: 'api:read' });
    expect(jwt['access_token']).toMatch(JWT_SHAPE);
    expect(decodeJwt(jwt['access_token'] as string)).toMatchObject({ client_id: 'demo-client', scope: 'api:read' });
    const forOpaqueResource = await token(DEMO, { grant_type: 'client_credentials', scope: 'api:read', resource: OPAQUE_RESOURCE });
    expect(forOpaqueResource['access_token']).not.toMatch(JWT_SHAPE);
    expect(Object.keys(forOpaqueResource).sort()).toEqual(Object.keys(jwt).sort());
    expect(await introspect(DEMO, forOpaqueResource['access_token'] as string)).toMatchObject({ active: true, aud: OPAQUE_RESOURCE, client_id: 'demo-client', token_type: 'Bearer' });
    // Registration metadata shows the format; a bad value is refused in the RFC 7591 format.
    expect(JSON.parse((await dep.cli(['clients', 'show', opaque.client_id])).stdout)['access_token_format']).toBe('opaque');
    expect(JSON.parse((await dep.cli(['clients', 'show', 'demo-client'])).stdout)['access_token_format']).toBe('jwt');
    // RFC 7591 registration takes it too, and its client_credentials tokens are opaque.
    const registered = await json(`${srv.url}/oauth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer test-initial-access-token-0123456789' },
      body: JSON.stringify({ grant_types: ['client_credentials'], access_token_format: 'opaque' }),
    });
    expect(registered.status, JSON.stringify(registered.json)).toBe(201);
    expect(registered.json['access_token_format']).toBe('opaque');
    const self = { client_id: registered.json['client_id'] as string, client_secret: registered.json['client_secret'] as string };
    expect((await token(self, { grant_type: 'client_credentials' }))['access_token']).not.toMatch(JWT_SHAPE);
    const refused = await json(`${srv.url}/oauth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer test-initial-access-token-0123456789' },
      body: JSON.stringify({ grant_types: ['client_credentials'], access_token_format: 'paseto' }),
    });
    expect(refused.status).toBe(400);
    expect(refused.json['error']).toBe('invalid_client_metadata');
    const bad = await dep.cli(['clients', 'create', '--access-token-format', 'paseto', '--json']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr + bad.stdout).toMatch(/access_token_format/);
  });
});
