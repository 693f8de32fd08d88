import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createDeployment, DEMO_SECRET, type Deployment, type ServerProcess } from '../helpers/server.js';
import { basic, postForm } from '../helpers/http.js';

describe('abuse: malformed input never yields a 5xx', () => {
  let dep: Deployment;
  let srv: ServerProcess;
  beforeAll(async () => {
    dep = await createDeployment('sqlite');
    srv = await dep.serve();
  });
  afterAll(async () => dep?.cleanup());

  it('duplicate parameters, oversized bodies and non-form content types are refused cleanly', async () => {
    const auth = { authorization: basic('demo-client', DEMO_SECRET) };
    const dup = await postForm(`${srv.url}/oauth/token`, 'grant_type=client_credentials&scope=a&scope=b', auth);
    expect(dup.status).toBe(400);
    expect(dup.json).toMatchObject({ error: 'invalid_request' });
    const big = await postForm(`${srv.url}/oauth/token`, `grant_type=client_credentials&x=${'a'.repeat(200_000)}`, auth);
    expect(big.status).toBe(413);
    for (const type of ['application/json', 'text/plain', 'multipart/form-data; boundary=x']) {
      const r = await fetch(`${srv.url}/oauth/token`, { method: 'POST', headers: { 'content-type': type, ...auth }, body: '{"grant_type":"client_credentials"}' });
      expect(r.status, type).toBe(400);
      expect(((await r.json()) as { error: string }).error).toBe('invalid_request');
    }
    const none = await fetch(`${srv.url}/oauth/token`, { method: 'POST', headers: auth });
    expect(none.status).toBe(400);
    const badBasic = await postForm(`${srv.url}/oauth/token`, 'grant_type=client_credentials', { authorization: 'Basic %%%' });
    expect(badBasic.status).toBe(401);
  });

  const endpoints: Array<[string, string]> = [
    ['POST', '/oauth/token'],
    ['POST', '/oauth/introspect'],
    ['POST', '/oauth/revoke'],
    ['POST', '/oauth/register'],
    ['GET', '/admin/api/v1/clients'],
    ['GET', '/jwks.json'],
  ];
  const formValue = fc.oneof(fc.string(), fc.constantFrom('client_credentials', 'authorization_code', 'refresh_token', '', '%', '%zz', 'a=b&c'));
  const formKey = fc.constantFrom('grant_type', 'client_id', 'client_secret', 'scope', 'resource', 'token', 'client_assertion', 'client_assertion_type', 'code', 'x');
  const request = fc.record({
    body: fc.oneof(
      fc.array(fc.tuple(formKey, formValue), { maxLength: 6 }).map((pairs) => pairs.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&')),
      fc.string({ maxLength: 200 }),
      fc.constant('%E0%A4%A'),
    ),
    contentType: fc.constantFrom('application/x-www-form-urlencoded', 'application/json', 'text/plain', undefined),
    authorization: fc.oneof(
      fc.constant(undefined),
      fc.constant(basic('demo-client', DEMO_SECRET)),
      fc.string({ maxLength: 40 }).map((s) => `Basic ${Buffer.from(s).toString('base64')}`),
      fc.string({ maxLength: 40 }).map((s) => `Bearer ${s.replace(/[\r\n]/g, '')}`),
      fc.string({ maxLength: 30 }).map((s) => s.replace(/[\r\n]/g, '')),
    ),
  });

  it.each(endpoints)('%s %s: 1,000 random malformed requests, no 5xx', async (method, path) => {
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const headers: Record<string, string> = {};
        if (r.contentType) headers['content-type'] = r.contentType;
        if (r.authorization) headers['authorization'] = r.authorization;
        let res: Response;
        try {
          res = await fetch(`${srv.url}${path}`, { method, headers, ...(method === 'POST' ? { body: r.body } : {}) });
        } catch {
          return true; // undici refuses some header values before sending: nothing reached the server
        }
        await res.arrayBuffer();
        return res.status < 500;
      }),
      { numRuns: 1000 },
    );
  });
});
