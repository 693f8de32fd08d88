/**
 * RFC 8705 client metadata (§2.1.2, §3.4), validated for client-metadata.ts, the one place client metadata
 * rules live: a tls_client_auth client names exactly one certificate field; the binding flag is a boolean.
 */
import { isIP } from 'node:net';
import { InvalidClientMetadata } from '../oauth/errors.js';
import { TLS_CLIENT_AUTH_FIELDS, type AuthMethod, type Client, type TlsClientAuthField } from '../clients/client.js';
import { canonicalDn } from './subject-dn.js';

export const BOUND_TOKENS_FIELD = 'tls_client_certificate_bound_access_tokens';
export const MTLS_METADATA_FIELDS: readonly string[] = [...TLS_CLIENT_AUTH_FIELDS, BOUND_TOKENS_FIELD];

const fail = (field: string, reason: string): never => {
  throw new InvalidClientMetadata(`${field}: ${reason}`);
};

function checkValue(field: TlsClientAuthField, value: string): void {
  switch (field) {
    case 'tls_client_auth_subject_dn':
      try {
        canonicalDn(value);
      } catch {
        fail(field, 'must be an RFC 4514 distinguished name');
      }
      return;
    case 'tls_client_auth_san_dns':
      if (!/^[a-z0-9*]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/i.test(value)) fail(field, 'must be a DNS name');
      return;
    case 'tls_client_auth_san_uri':
      if (!URL.canParse(value)) fail(field, 'must be an absolute URI');
      return;
    case 'tls_client_auth_san_ip':
      if (isIP(value) === 0) fail(field, 'must be an IPv4 or IPv6 address');
      return;
    case 'tls_client_auth_san_email':
      if (!/^[^\s@]+@[^\s@]+$/.test(value)) fail(field, 'must be an email address');
  }
}

export interface MtlsFields {
  tlsClientAuth: Client['tlsClientAuth'];
  certificateBoundAccessTokens: boolean;
}

/** `enabled`: mTLS is configured on this server (a listener or the proxy header); otherwise none of this is accepted. */
export function validateMtlsMetadata(input: Record<string, unknown>, authMethod: AuthMethod, enabled: boolean): MtlsFields {
  const given = TLS_CLIENT_AUTH_FIELDS.filter((f) => input[f] !== undefined && input[f] !== null);
  const bound = input[BOUND_TOKENS_FIELD];
  if (bound !== undefined && typeof bound !== 'boolean') fail(BOUND_TOKENS_FIELD, 'must be true or false');
  const usesMtls = authMethod === 'tls_client_auth' || authMethod === 'self_signed_tls_client_auth' || bound === true;
  if (usesMtls && !enabled) fail(authMethod.includes('tls') ? 'token_endpoint_auth_method' : BOUND_TOKENS_FIELD, 'mutual TLS is not configured on this server');
  if (authMethod !== 'tls_client_auth') {
    if (given.length > 0) fail(given[0] as string, 'is only used with token_endpoint_auth_method tls_client_auth');
    return { tlsClientAuth: null, certificateBoundAccessTokens: bound === true };
  }
  // RFC 8705 §2.1.2: "exactly one" of the subject parameters.
  if (given.length !== 1) fail('tls_client_auth_subject_dn', `tls_client_auth needs exactly one of ${TLS_CLIENT_AUTH_FIELDS.join(', ')}`);
  const field = given[0] as TlsClientAuthField;
  const value = input[field];
  if (typeof value !== 'string' || value === '') return fail(field, 'must be a non-empty string');
  checkValue(field, value);
  return { tlsClientAuth: { field, value }, certificateBoundAccessTokens: bound === true };
}

/** The RFC 8705 members of a client's RFC 7591 view. */
export function mtlsMetadataView(c: Client): Record<string, unknown> {
  return {
    ...(c.tlsClientAuth ? { [c.tlsClientAuth.field]: c.tlsClientAuth.value } : {}),
    ...(c.certificateBoundAccessTokens ? { [BOUND_TOKENS_FIELD]: true } : {}),
  };
}
