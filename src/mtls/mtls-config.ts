import { readFileSync } from 'node:fs';
import type { X509Certificate } from 'node:crypto';
import type { Config } from '../config/schema.js';
import { parseBundle } from './certificate.js';

/** mTLS is on when Gatehouse terminates TLS itself (server.tls) or a trusted proxy forwards the certificate. */
export function mtlsEnabled(server: Pick<Config['server'], 'tls' | 'mtls'>): boolean {
  return Boolean(server.tls.certFile || server.mtls.certificateHeader);
}

/** The trust anchors of tls_client_auth (RFC 8705 §2.1), read once at startup; none when no file is configured. */
export function clientCaBundle(path: string): X509Certificate[] {
  if (!path) return [];
  try {
    return parseBundle(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`server.tls.clientCaFile: cannot read a PEM certificate bundle from ${path} (${(err as Error).message})`, { cause: err });
  }
}
