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
 *
 * DPoP (RFC 9449 §7): a token with `cnf.jkt` is accepted only as `Authorization: DPoP <token>` with a `DPoP`
 * proof signed by that key, for this method and URL (PUBLIC_URL, default http://127.0.0.1:PORT), recent, naming
 * the token (`ath`) and never seen before (jtis kept in memory while a proof could still be accepted).
 */
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import { calculateJwkThumbprint, createRemoteJWKSet, EmbeddedJWK, jwtVerify } from 'jose';

const issuer = process.env['ISSUER'] ?? 'http://localhost:9000';
const audience = process.env['AUDIENCE'] ?? 'https://api.example.com';
const port = Number(process.env['PORT'] ?? 8081);
const publicUrl = (process.env['PUBLIC_URL'] ?? `http://127.0.0.1:${port}`).replace(/\/$/, '');
const PROOF_MAX_AGE = 60;
/** @type {Map<string, number>} proof jti → when it may be forgotten */
const seenJtis = new Map();

/**
 * RFC 9449 §4.3 and §7.1: the proof's key thumbprint, after every check.
 * @param {import('node:http').IncomingMessage} req
 * @param {string} token
 */
async function proofKey(req, token) {
  const header = req.headers['dpop'];
  if (typeof header !== 'string' || header.includes(',')) throw new Error('exactly one DPoP proof');
  const { payload, protectedHeader } = await jwtVerify(header, EmbeddedJWK, { typ: 'dpop+jwt', algorithms: ['ES256', 'ES384', 'PS256', 'RS256', 'EdDSA'] });
  const now = Math.floor(Date.now() / 1000);
  const url = new URL(req.url ?? '/', publicUrl);
  if (payload['htm'] !== req.method || typeof payload['htu'] !== 'string') throw new Error('htm');
  const htu = new URL(payload['htu']);
  if (`${htu.origin}${htu.pathname}` !== `${url.origin}${url.pathname}`) throw new Error('htu');
  if (typeof payload.iat !== 'number' || Math.abs(now - payload.iat) > PROOF_MAX_AGE) throw new Error('iat');
  if (payload['ath'] !== createHash('sha256').update(token).digest('base64url')) throw new Error('ath');
  if (typeof payload.jti !== 'string' || (seenJtis.get(payload.jti) ?? 0) > now) throw new Error('replayed proof');
  seenJtis.set(payload.jti, now + PROOF_MAX_AGE);
  for (const [jti, until] of seenJtis) if (until <= now) seenJtis.delete(jti);
  return calculateJwkThumbprint(/** @type {import('jose').JWK} */ (protectedHeader.jwk), 'sha256');
}

const jwks = createRemoteJWKSet(new URL(`${issuer}/jwks.json`));

const server = createServer(async (req, res) => {
  const [, scheme, token] = req.headers.authorization?.match(/^(Bearer|DPoP) (\S+)$/i) ?? [];
  const dpop = scheme?.toLowerCase() === 'dpop';
  try {
    if (!token) throw new Error('missing token');
    const { payload } = await jwtVerify(token, jwks, { issuer, audience, typ: 'at+jwt' });
    const jkt = /** @type {{ jkt?: string } | undefined} */ (payload['cnf'])?.jkt;
    // A DPoP-bound token is never a bearer token, and a proof must come from the key the token is bound to.
    if (jkt !== undefined || dpop) {
      if (!dpop || jkt === undefined || (await proofKey(req, token)) !== jkt) throw new Error('sender constraint');
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ hello: payload.sub, scope: payload['scope'] }));
  } catch {
    const challenge = dpop ? 'DPoP error="invalid_token", algs="ES256 ES384 PS256 RS256 EdDSA"' : 'Bearer error="invalid_token"';
    res.writeHead(401, { 'www-authenticate': challenge }).end();
  }
});

server.listen(port, '127.0.0.1', () => console.log(`resource server listening on http://127.0.0.1:${port}/ (issuer ${issuer}, audience ${audience})`));
