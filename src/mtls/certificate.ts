/**
 * Client certificates as node:crypto X509Certificate objects: parsing (PEM or DER), the RFC 8705 §3.1
 * thumbprint, trust-anchor bundles, and chain verification with checkIssued + verify (never hand-parsed ASN.1).
 */
import { X509Certificate, createHash } from 'node:crypto';

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;
const MAX_CHAIN = 8;

/** `x5t#S256`: base64url of the SHA-256 of the certificate's DER (RFC 8705 §3.1). */
export function certificateThumbprint(cert: X509Certificate): string {
  return createHash('sha256').update(cert.raw).digest('base64url');
}

/** Every certificate of a PEM bundle; throws when there is none or one does not parse. */
export function parseBundle(pem: string): X509Certificate[] {
  const blocks = pem.match(PEM_BLOCK) ?? [];
  if (blocks.length === 0) throw new Error('no PEM certificate found');
  return blocks.map((b) => new X509Certificate(b));
}

/** One certificate from PEM text or DER bytes; undefined when it does not parse. */
export function parseCertificate(input: string | Buffer): X509Certificate | undefined {
  try {
    return new X509Certificate(input);
  } catch {
    return undefined;
  }
}

function validAt(cert: X509Certificate, now: number): boolean {
  return Date.parse(cert.validFrom) <= now * 1000 && now * 1000 <= Date.parse(cert.validTo);
}

/**
 * RFC 8705 §2.1: the certificate must chain to a configured trust anchor. Walks up through `intermediates`
 * (sent by the client in the handshake) until a certificate of `anchors` issued the current one; every link is
 * a CA certificate whose key verifies the signature, and every certificate is within its validity at `now`.
 */
export function chainsTo(cert: X509Certificate, anchors: readonly X509Certificate[], now: number, intermediates: readonly X509Certificate[] = []): boolean {
  let current = cert;
  for (let depth = 0; depth < MAX_CHAIN; depth++) {
    if (!validAt(current, now)) return false;
    const issuedBy = (ca: X509Certificate) => ca.ca && validAt(ca, now) && current.checkIssued(ca) && current.verify(ca.publicKey);
    if (anchors.some(issuedBy)) return true;
    const next = intermediates.find((ca) => !ca.raw.equals(current.raw) && issuedBy(ca));
    if (!next) return false;
    current = next;
  }
  return false;
}
