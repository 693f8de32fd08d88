/**
 * Certificate-bound tokens (RFC 8705 §3, §4): the `cnf` of an access token issued over mTLS, and the check a
 * protected resource (userinfo) and the refresh grant make that the presenting certificate is the bound one.
 */
import type { Client } from '../clients/client.js';
import { InvalidRequest } from '../oauth/errors.js';
import { constantTimeEqual } from '../oauth/hash.js';
import { certificateThumbprint } from './certificate.js';
import type { PresentedCertificate } from './mtls-auth.js';

export const X5T_S256 = 'x5t#S256';

/**
 * The x5t#S256 to bind this token request's tokens to, or undefined for unbound tokens. A client registered
 * for bound tokens (§3.4) that presents no certificate is refused rather than handed a bearer token.
 * `always`: server.mtls.boundAccessTokens binds every request that presents a certificate.
 */
export function bindingThumbprint(client: Client, presented: PresentedCertificate | undefined, always: boolean): string | undefined {
  if (!presented) {
    if (client.certificateBoundAccessTokens) throw new InvalidRequest('this client gets certificate-bound tokens: connect with its client certificate');
    return undefined;
  }
  return client.certificateBoundAccessTokens || always ? certificateThumbprint(presented.certificate) : undefined;
}

/** Whether `presented` is the certificate of the token's `cnf` (true for a token without `x5t#S256`). */
export function presentsBoundCertificate(cnf: unknown, presented: PresentedCertificate | undefined): boolean {
  const bound = cnf && typeof cnf === 'object' ? (cnf as Record<string, unknown>)[X5T_S256] : undefined;
  if (bound === undefined) return true;
  if (typeof bound !== 'string' || !presented) return false;
  return constantTimeEqual(bound, certificateThumbprint(presented.certificate));
}
