/**
 * RFC 8705: where a request's client certificate comes from (docs/SECURITY.md "Mutual TLS").
 * - Gatehouse terminates TLS (server.tls): the certificate of the TLS connection itself.
 * - Behind a reverse proxy (server.mtls.certificateHeader): the header, but ONLY when the socket peer is a
 *   server.trustProxy address; from anyone else the header is ignored (logged at debug), since any client
 *   could send it.
 */
import { X509Certificate } from 'node:crypto';
import { isIP, type BlockList } from 'node:net';
import { TLSSocket, type DetailedPeerCertificate } from 'node:tls';
import type { FastifyRequest } from 'fastify';
import type { Config } from '../config/schema.js';
import type { PresentedCertificate } from '../mtls/mtls-auth.js';
import { parseCertificate } from '../mtls/certificate.js';
import { metricsAllowList } from './plugins/metrics.js';

export type CertificateSource = (request: FastifyRequest) => PresentedCertificate | undefined;

/** Whether the socket peer is a proxy under Fastify's `trustProxy` (true, a hop count, or addresses/CIDRs). */
export function trustedPeer(trustProxy: Config['server']['trustProxy']): (address: string) => boolean {
  if (typeof trustProxy === 'boolean') return () => trustProxy;
  // Fastify's hop count: the socket peer is hop 0, trusted when at least one hop is.
  if (typeof trustProxy === 'number') return () => trustProxy > 0;
  let list: BlockList;
  try {
    list = metricsAllowList(trustProxy.split(',').map((s) => s.trim()).filter(Boolean));
  } catch (err) {
    throw new Error('server.trustProxy: with server.mtls.certificateHeader, use true, a hop count, or addresses/CIDRs (and `loopback`)', { cause: err });
  }
  return (address) => list.check(address, isIP(address) === 6 ? 'ipv6' : 'ipv4');
}

function decode(value: string, encoding: Config['server']['mtls']['certificateHeaderEncoding']): X509Certificate | undefined {
  try {
    if (encoding === 'base64-der') return parseCertificate(Buffer.from(value, 'base64'));
    const pem = encoding === 'urlencoded-pem' ? decodeURIComponent(value) : value;
    // Some proxies fold the PEM onto one line (spaces for newlines): rebuild the line breaks of the body.
    const body = /-----BEGIN CERTIFICATE-----(.+)-----END CERTIFICATE-----/s.exec(pem)?.[1];
    if (body === undefined) return undefined;
    return parseCertificate(`-----BEGIN CERTIFICATE-----\n${body.trim().replace(/\s+/g, '\n')}\n-----END CERTIFICATE-----\n`);
  } catch {
    return undefined;
  }
}

/** The issuers the client sent in the handshake (its chain minus the leaf), for tls_client_auth chains. */
function intermediatesOf(socket: TLSSocket): X509Certificate[] {
  const out: X509Certificate[] = [];
  let current: DetailedPeerCertificate | undefined = socket.getPeerCertificate(true);
  for (let i = 0; current && i < 8; i++) {
    const next: DetailedPeerCertificate | undefined = current.issuerCertificate;
    if (!next || next === current || next.raw.equals(current.raw)) break;
    out.push(new X509Certificate(next.raw));
    current = next;
  }
  return out;
}

export function certificateSource(server: Pick<Config['server'], 'tls' | 'mtls' | 'trustProxy'>): CertificateSource {
  const header = server.mtls.certificateHeader;
  const trusted = header ? trustedPeer(server.trustProxy) : () => false;
  const encoding = server.mtls.certificateHeaderEncoding;
  return (request) => {
    const socket = request.raw.socket;
    if (server.tls.certFile && socket instanceof TLSSocket) {
      const certificate = socket.getPeerX509Certificate();
      if (certificate) return { certificate, intermediates: intermediatesOf(socket) };
    }
    if (!header) return undefined;
    const value = request.headers[header];
    if (value === undefined) return undefined;
    const peer = socket.remoteAddress ?? '';
    if (!trusted(peer)) {
      request.log.debug({ peer, header }, 'client certificate header ignored: the peer is not a trusted proxy');
      return undefined;
    }
    const certificate = typeof value === 'string' && value !== '' ? decode(value, encoding) : undefined;
    if (!certificate) request.log.debug({ header }, 'client certificate header does not hold a certificate');
    return certificate && { certificate };
  };
}
