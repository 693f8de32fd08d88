/**
 * A resource server that trusts Gatehouse access tokens (RFC 9068), verified locally against the issuer's JWKS.
 * Run: ISSUER=http://localhost:9000 AUDIENCE=https://api.example.com node --experimental-strip-types server.ts
 */
import { createServer, type Server } from 'node:http';
import { createRemoteJWKSet, jwtVerify } from 'jose';

export function resourceServer(issuer: string, audience: string): Server {
  const jwks = createRemoteJWKSet(new URL(`${issuer}/jwks.json`));
  return createServer(async (req, res) => {
    const token = req.headers.authorization?.match(/^Bearer (\S+)$/)?.[1];
    try {
      if (!token) throw new Error('missing token');
      const { payload } = await jwtVerify(token, jwks, { issuer, audience, typ: 'at+jwt' });
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ hello: payload.sub, scope: payload['scope'] }));
    } catch {
      res.writeHead(401, { 'www-authenticate': 'Bearer error="invalid_token"' }).end();
    }
  });
}

if (process.env['ISSUER'] && process.env['AUDIENCE']) {
  resourceServer(process.env['ISSUER'], process.env['AUDIENCE']).listen(Number(process.env['PORT'] ?? 8081), '127.0.0.1');
}
