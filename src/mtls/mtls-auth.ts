/**
 * RFC 8705 §2: mutual-TLS client authentication, the method module ClientAuthenticator calls.
 * - tls_client_auth (§2.1): the certificate chains to a configured trust anchor and its subject DN, or the one
 *   registered SAN, matches the registration.
 * - self_signed_tls_client_auth (§2.2): no chain; the certificate's public key is one of the client's JWKs.
 * Throws an Error whose message is the (logged, never sent) reason.
 */
import { createPublicKey, type JsonWebKey, type X509Certificate } from 'node:crypto';
import type { JWK } from 'jose';
import type { Client } from '../clients/client.js';
import { chainsTo } from './certificate.js';
import { canonicalDn, canonicalSubject } from './subject-dn.js';

/** The client certificate of a request: the leaf, and the intermediates the client sent with it (TLS only). */
export interface PresentedCertificate {
  certificate: X509Certificate;
  intermediates?: readonly X509Certificate[];
}

/** Node's subjectAltName, e.g. `DNS:a, URI:"https://x/,y"`: quoted entries are JSON strings. */
function sanEntries(cert: X509Certificate, prefix: string): string[] {
  const text = cert.subjectAltName ?? '';
  const out: string[] = [];
  const entry = /([A-Za-z ]+):("(?:[^"\\]|\\.)*"|[^,]*)(?:, |$)/g;
  for (const m of text.matchAll(entry)) {
    const [, kind = '', raw = ''] = m;
    if (kind !== prefix) continue;
    out.push(raw.startsWith('"') ? (JSON.parse(raw) as string) : raw);
  }
  return out;
}

function subjectMatches(cert: X509Certificate, registered: NonNullable<Client['tlsClientAuth']>): boolean {
  const { field, value } = registered;
  switch (field) {
    case 'tls_client_auth_subject_dn':
      return canonicalSubject(cert.subject) === canonicalDn(value);
    case 'tls_client_auth_san_dns':
      // Exact names only: a registered name never matches a wildcard certificate or the subject CN.
      return cert.checkHost(value, { subject: 'never', wildcards: false }) !== undefined;
    case 'tls_client_auth_san_ip':
      return cert.checkIP(value) !== undefined;
    case 'tls_client_auth_san_email':
      return cert.checkEmail(value, { subject: 'never' }) !== undefined;
    case 'tls_client_auth_san_uri':
      return sanEntries(cert, 'URI').includes(value);
  }
}

/** RFC 8705 §2.1. `anchors` is the configured client CA bundle; `now` in seconds. */
export function verifyTlsClientAuth(client: Client, presented: PresentedCertificate, anchors: readonly X509Certificate[], now: number): void {
  if (!client.tlsClientAuth) throw new Error('client has no registered certificate subject');
  if (anchors.length === 0) throw new Error('no client CA bundle is configured');
  if (!chainsTo(presented.certificate, anchors, now, presented.intermediates)) throw new Error('certificate does not chain to a trusted CA');
  if (!subjectMatches(presented.certificate, client.tlsClientAuth)) throw new Error(`certificate does not match ${client.tlsClientAuth.field}`);
}

/** RFC 8705 §2.2: the certificate's public key must be one of the client's registered keys. */
export function verifySelfSignedTlsClientAuth(certificate: X509Certificate, keys: readonly JWK[]): void {
  const presented = certificate.publicKey;
  for (const jwk of keys) {
    if (jwk.use !== undefined && jwk.use !== 'sig') continue;
    try {
      if (createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' }).equals(presented)) return;
    } catch {
      // A key node:crypto cannot read is simply not a match.
    }
  }
  throw new Error('certificate public key matches none of the client keys');
}
