/**
 * Back-Channel Logout 1.0 §2.2 and Front-Channel Logout 1.0 §2 client metadata. Kept in the client's metadata
 * document (no column of its own), validated here and read back through `logoutMetadata`.
 */
import { InvalidClientMetadata } from '../oauth/errors.js';
import { isLoopback } from '../oauth/redirect-uri.js';

export const LOGOUT_METADATA_FIELDS = [
  'backchannel_logout_uri',
  'backchannel_logout_session_required',
  'frontchannel_logout_uri',
  'frontchannel_logout_session_required',
] as const;

export interface LogoutMetadata {
  backchannelLogoutUri: string | null;
  backchannelLogoutSessionRequired: boolean;
  frontchannelLogoutUri: string | null;
  frontchannelLogoutSessionRequired: boolean;
}

const fail = (field: string, reason: string): never => {
  throw new InvalidClientMetadata(`${field}: ${reason}`);
};

/** An absolute https URI without a fragment (http only to a loopback host, when allowed). */
function logoutUri(field: string, value: unknown, allowLoopbackHttp: boolean): string {
  if (typeof value !== 'string' || !URL.canParse(value)) return fail(field, 'must be an absolute URI');
  const url = new URL(value);
  if (url.hash !== '' || value.includes('#')) fail(field, 'must not contain a fragment');
  if (url.username || url.password) fail(field, 'must not carry credentials');
  if (url.protocol === 'https:' || (allowLoopbackHttp && url.protocol === 'http:' && isLoopback(url))) return value;
  return fail(field, allowLoopbackHttp ? 'must use https (or http to a loopback host)' : 'must use https');
}

/** The validated logout members of `input`, to be kept with the client's metadata (only those given). */
export function validateLogoutMetadata(input: Record<string, unknown>, allowLoopbackHttp: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const channel of ['backchannel', 'frontchannel'] as const) {
    const uriField = `${channel}_logout_uri`;
    const flagField = `${channel}_logout_session_required`;
    const uri = input[uriField];
    if (uri !== undefined && uri !== null) out[uriField] = logoutUri(uriField, uri, allowLoopbackHttp);
    const flag = input[flagField];
    if (flag !== undefined && flag !== null) {
      if (typeof flag !== 'boolean') fail(flagField, 'must be true or false');
      out[flagField] = flag;
    }
  }
  return out;
}

/** The logout settings of a client, from its metadata document (defaults per the specs: false). */
export function logoutMetadata(metadata: Record<string, unknown>): LogoutMetadata {
  const str = (k: string) => (typeof metadata[k] === 'string' ? (metadata[k] as string) : null);
  return {
    backchannelLogoutUri: str('backchannel_logout_uri'),
    backchannelLogoutSessionRequired: metadata['backchannel_logout_session_required'] === true,
    frontchannelLogoutUri: str('frontchannel_logout_uri'),
    frontchannelLogoutSessionRequired: metadata['frontchannel_logout_session_required'] === true,
  };
}
