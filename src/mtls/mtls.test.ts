import { createPublicKey, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { JWK } from 'jose';
import { sampleClient } from '../../test/helpers/fixtures.js';
import { issue, selfSigned } from '../../test/helpers/pki.js';
import { bindingThumbprint, presentsBoundCertificate } from './binding.js';
import { certificateThumbprint, chainsTo, parseBundle } from './certificate.js';
import { validateMtlsMetadata } from './mtls-metadata.js';
import { verifySelfSignedTlsClientAuth, verifyTlsClientAuth } from './mtls-auth.js';
import { canonicalDn, canonicalSubject } from './subject-dn.js';

const dir = mkdtempSync(join(tmpdir(), 'gatehouse-mtls-unit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const ca = selfSigned(dir, 'ca', '/CN=Unit CA', true);
const other = selfSigned(dir, 'other', '/CN=Other CA', true);
const leaf = issue(dir, ca, 'leaf', '/C=DE/O=Acme, Inc./CN=svc one', [
  'subjectAltName=DNS:svc.example.com,URI:https://svc.example.com/id,IP:10.1.2.3,email:svc@example.com',
]);
const x509 = (pem: string) => new X509Certificate(pem);
const NOW = Math.floor(Date.now() / 1000);

describe('subject DN (RFC 4514)', () => {
  it('matches the certificate subject regardless of case, spacing, order of writing and OID names', () => {
    const subject = canonicalSubject(x509(leaf.cert).subject);
    for (const dn of ['CN=svc one,O=Acme\\, Inc.,C=DE', 'cn=SVC  One, o=acme\\, inc., c=de', '2.5.4.3=svc one,2.5.4.10=Acme\\2C Inc.,2.5.4.6=DE']) {
      expect(canonicalDn(dn)).toBe(subject);
    }
    expect(canonicalDn('CN=svc one,O=Acme\\, Inc.')).not.toBe(subject);
    expect(canonicalDn('C=DE,O=Acme\\, Inc.,CN=svc one')).not.toBe(subject);
  });
  it('sorts the attributes of a multi-valued RDN', () => {
    expect(canonicalDn('OU=a+CN=b,O=x')).toBe(canonicalDn('CN=b+OU=a,O=x'));
    expect(() => canonicalDn('')).toThrow();
    expect(() => canonicalDn('no equals sign')).toThrow();
  });
});

describe('chains and tls_client_auth', () => {
  const anchors = parseBundle(ca.cert + other.cert);
  it('chains to a bundle CA only, within validity', () => {
    expect(chainsTo(x509(leaf.cert), anchors, NOW)).toBe(true);
    expect(chainsTo(x509(leaf.cert), parseBundle(other.cert), NOW)).toBe(false);
    expect(chainsTo(x509(leaf.cert), anchors, NOW + 10 * 86400)).toBe(false);
    // A self-signed leaf is not its own anchor.
    expect(chainsTo(x509(selfSigned(dir, 's', '/CN=s').cert), anchors, NOW)).toBe(false);
  });
  it('matches exactly the registered field', () => {
    const presented = { certificate: x509(leaf.cert) };
    const ok = (field: NonNullable<ReturnType<typeof sampleClient>['tlsClientAuth']>['field'], value: string) => {
      try {
        verifyTlsClientAuth(sampleClient({ tokenEndpointAuthMethod: 'tls_client_auth', tlsClientAuth: { field, value } }), presented, anchors, NOW);
        return true;
      } catch {
        return false;
      }
    };
    expect(ok('tls_client_auth_san_dns', 'svc.example.com')).toBe(true);
    expect(ok('tls_client_auth_san_dns', 'other.example.com')).toBe(false);
    expect(ok('tls_client_auth_san_uri', 'https://svc.example.com/id')).toBe(true);
    expect(ok('tls_client_auth_san_uri', 'https://svc.example.com/')).toBe(false);
    expect(ok('tls_client_auth_san_ip', '10.1.2.3')).toBe(true);
    expect(ok('tls_client_auth_san_ip', '10.1.2.4')).toBe(false);
    expect(ok('tls_client_auth_san_email', 'svc@example.com')).toBe(true);
    expect(ok('tls_client_auth_san_email', 'x@example.com')).toBe(false);
    expect(ok('tls_client_auth_subject_dn', 'CN=svc one,O=Acme\\, Inc.,C=DE')).toBe(true);
    // The subject CN is not a DNS SAN.
    expect(ok('tls_client_auth_san_dns', 'svc one')).toBe(false);
  });
});

describe('self_signed_tls_client_auth, binding, metadata', () => {
  const self = selfSigned(dir, 'self', '/CN=self');
  const jwk = createPublicKey(self.key).export({ format: 'jwk' }) as JWK;
  it('accepts the certificate of a registered key only', () => {
    expect(() => verifySelfSignedTlsClientAuth(x509(self.cert), [{ kty: 'oct', k: 'x' }, jwk])).not.toThrow();
    expect(() => verifySelfSignedTlsClientAuth(x509(leaf.cert), [jwk])).toThrow();
    expect(() => verifySelfSignedTlsClientAuth(x509(self.cert), [{ ...jwk, use: 'enc' }])).toThrow();
  });
  it('binds by x5t#S256 and checks the presented certificate in constant time', () => {
    const presented = { certificate: x509(self.cert) };
    const thumb = certificateThumbprint(presented.certificate);
    expect(thumb).toMatch(/^[\w-]{43}$/);
    expect(bindingThumbprint(sampleClient({ certificateBoundAccessTokens: true }), presented, false)).toBe(thumb);
    expect(bindingThumbprint(sampleClient(), presented, false)).toBeUndefined();
    expect(bindingThumbprint(sampleClient(), presented, true)).toBe(thumb);
    expect(() => bindingThumbprint(sampleClient({ certificateBoundAccessTokens: true }), undefined, false)).toThrow(/certificate/);
    expect(presentsBoundCertificate({ 'x5t#S256': thumb }, presented)).toBe(true);
    expect(presentsBoundCertificate({ 'x5t#S256': thumb }, { certificate: x509(leaf.cert) })).toBe(false);
    expect(presentsBoundCertificate({ 'x5t#S256': thumb }, undefined)).toBe(false);
    expect(presentsBoundCertificate(undefined, undefined)).toBe(true);
  });
  it('validates RFC 8705 metadata', () => {
    expect(validateMtlsMetadata({ tls_client_auth_san_dns: 'a.example.com' }, 'tls_client_auth', true).tlsClientAuth).toEqual({ field: 'tls_client_auth_san_dns', value: 'a.example.com' });
    expect(() => validateMtlsMetadata({}, 'tls_client_auth', true)).toThrow(/exactly one/);
    expect(() => validateMtlsMetadata({ tls_client_auth_san_dns: 'a.example.com', tls_client_auth_san_ip: '10.0.0.1' }, 'tls_client_auth', true)).toThrow(/exactly one/);
    expect(() => validateMtlsMetadata({ tls_client_auth_san_ip: 'nope' }, 'tls_client_auth', true)).toThrow(/IP/);
    expect(() => validateMtlsMetadata({ tls_client_auth_san_dns: 'a.example.com' }, 'client_secret_basic', true)).toThrow(/only used with/);
    expect(() => validateMtlsMetadata({ tls_client_auth_san_dns: 'a.example.com' }, 'tls_client_auth', false)).toThrow(/not configured/);
    expect(() => validateMtlsMetadata({ tls_client_certificate_bound_access_tokens: true }, 'none', false)).toThrow(/not configured/);
    expect(() => validateMtlsMetadata({ tls_client_certificate_bound_access_tokens: 'yes' }, 'none', true)).toThrow(/true or false/);
    expect(validateMtlsMetadata({ tls_client_certificate_bound_access_tokens: true }, 'none', true).certificateBoundAccessTokens).toBe(true);
  });
});

describe('discovery', () => {
  const input = { issuer: 'https://as.example.com', scopes: ['openid'], idTokenAlgs: ['RS256'], signingAlgs: ['RS256'], accessTokenAlgs: ['RS256'], registrationEnabled: false };
  it('advertises RFC 8705 only when configured, aliases only when the base differs', async () => {
    const { authorizationServerMetadata } = await import('../discovery/metadata.js');
    const off = authorizationServerMetadata(input);
    expect(off['token_endpoint_auth_methods_supported']).not.toContain('tls_client_auth');
    expect(off['tls_client_certificate_bound_access_tokens']).toBeUndefined();
    const same = authorizationServerMetadata({ ...input, mtls: { endpointBaseUrl: 'https://as.example.com' } });
    expect(same['introspection_endpoint_auth_methods_supported']).toContain('self_signed_tls_client_auth');
    expect(same['tls_client_certificate_bound_access_tokens']).toBe(true);
    expect(same['mtls_endpoint_aliases']).toBeUndefined();
    const aliased = authorizationServerMetadata({ ...input, mtls: { endpointBaseUrl: 'https://mtls.as.example.com' } });
    expect(aliased['mtls_endpoint_aliases']).toMatchObject({ token_endpoint: 'https://mtls.as.example.com/oauth/token' });
  });
});

describe('config', () => {
  it('resolves server.tls paths against the config file, defaults the issuer to https, falls back to the tls CA', async () => {
    const { loadConfig } = await import('../config/load.js');
    const { writeFileSync, mkdirSync } = await import('node:fs');
    const cfgDir = join(dir, 'cfg');
    mkdirSync(cfgDir, { recursive: true });
    const path = join(cfgDir, 'config.yaml');
    writeFileSync(
      path,
      [
        'server: { port: 9443, tls: { certFile: tls/server.pem, keyFile: tls/server.key, clientCaFile: tls/ca.pem } }',
        'database: { url: "sqlite::memory:" }',
        `auth: { sessionSecret: "${'s'.repeat(40)}" }`,
        `security: { encryptionKey: "${Buffer.alloc(32, 1).toString('base64')}" }`,
      ].join('\n'),
    );
    const config = loadConfig({ path, env: {} });
    expect(config.server.tls.certFile).toBe(join(cfgDir, 'tls/server.pem'));
    expect(config.server.mtls.clientCaFile).toBe(join(cfgDir, 'tls/ca.pem'));
    expect(config.server.issuer).toBe('https://localhost:9443');
  });
});
