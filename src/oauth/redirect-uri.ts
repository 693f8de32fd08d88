/**
 * Redirect URI rules (RFC 6749 §3.1.2, RFC 8252 §7, OAuth 2.1 §2.3.1): absolute, no fragment, no user-info,
 * no wildcards; https, or http on a loopback host, or a private-use (reverse-domain) scheme for native apps.
 */
const LOOPBACK = new Set(['127.0.0.1', '[::1]', 'localhost']);

export function isLoopback(url: URL): boolean {
  return LOOPBACK.has(url.hostname);
}

/** Returns the reason a redirect URI cannot be registered, or undefined when it can. */
export function redirectUriProblem(value: string): string | undefined {
  // The URL parser strips leading/trailing spaces and drops TAB/LF/CR anywhere (WHATWG URL §4.4), so such a
  // value would be stored as given yet never match exactly; RFC 3986 §2 has no space or control character.
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0020\u007f]/.test(value)) return 'must not contain spaces or control characters';
  if (value.includes('*')) return 'wildcards are not allowed';
  if (value.includes('#')) return 'must not contain a fragment';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be an absolute URI';
  }
  if (url.username || url.password) return 'must not contain user-info';
  if (url.protocol === 'https:') return url.hostname ? undefined : 'must have a host';
  if (url.protocol === 'http:') return isLoopback(url) ? undefined : 'http is allowed only on loopback (127.0.0.1, [::1], localhost)';
  // RFC 8252 §7.1: private-use schemes are reverse domain names, e.g. com.example.app:/callback
  const scheme = url.protocol.slice(0, -1);
  if (/^[a-z][a-z0-9+-]*(\.[a-z0-9+-]+)+$/.test(scheme)) return undefined;
  return 'must use https, http on loopback, or a reverse-domain private-use scheme';
}

/**
 * Exact string match against the registered URIs; for http loopback URIs the port is ignored
 * (RFC 8252 §7.3: native apps listen on an ephemeral port).
 */
export function matchRedirectUri(registered: readonly string[], presented: string): boolean {
  if (registered.includes(presented)) return true;
  let p: URL;
  try {
    p = new URL(presented);
  } catch {
    return false;
  }
  if (p.protocol !== 'http:' || !isLoopback(p) || !p.port) return false;
  return registered.some((r) => {
    const u = URL.canParse(r) ? new URL(r) : undefined;
    if (!u || u.protocol !== 'http:' || !isLoopback(u)) return false;
    u.port = p.port;
    return u.href === p.href;
  });
}
