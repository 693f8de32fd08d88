// @ts-check
/**
 * A resource server that trusts Gatehouse access tokens (RFC 9068), verified locally against the issuer's JWKS.
 * Plain JavaScript so that Node 20 runs it as it is. From the repository root, beside `npm start`:
 *
 * Run: node examples/resource-server/server.mjs
 *
 * Settings (environment): ISSUER (http://localhost:9000), AUDIENCE (https://api.example.com, the resource the
 * demo client may ask for), PORT (8081). Try it with the demo client's secret that `npm start` printed:
 *   TOKEN=$(curl -s -u demo-client:$SECRET -d grant_type=client_credentials -d scope=api:read \
 *     -d resource=https://api.example.com http://localhost:9000/oauth/token | node -pe 'JSON.parse(require("fs").readFileSync(0)).access_token')
 *   curl -H "authorization: Bearer $TOKEN" http://127.0.0.1:8081/
 */
import { createServer } from 'node:http';
import { createRemoteJWKSet, jwtVerify } from 'jose';

const issuer = process.env['ISSUER'] ?? 'http://localhost:9000';
const audience = process.env['AUDIENCE'] ?? 'https://api.example.com';
const port = Number(process.env['PORT'] ?? 8081);

const jwks = createRemoteJWKSet(new URL(`${issuer}/jwks.json`));

const server = createServer(async (req, res) => {
  const token = req.headers.authorization?.match(/^Bearer (\S+)$/)?.[1];
  try {
    if (!token) throw new Error('missing token');
    const { payload } = await jwtVerify(token, jwks, { issuer, audience, typ: 'at+jwt' });
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ hello: payload.sub, scope: payload['scope'] }));
  } catch {
    res.writeHead(401, { 'www-authenticate': 'Bearer error="invalid_token"' }).end();
  }
});

server.listen(port, '127.0.0.1', () => console.log(`resource server listening on http://127.0.0.1:${port}/ (issuer ${issuer}, audience ${audience})`));
