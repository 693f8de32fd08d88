/**
 * Subject DN comparison for tls_client_auth (RFC 8705 §2.1.2): the registered `tls_client_auth_subject_dn` is an
 * RFC 4514 string, the certificate's subject comes from node:crypto (one RDN per line, in certificate order). Both
 * are reduced to one canonical form: attribute types lower-cased with OIDs mapped to their short names, values
 * unescaped, trimmed, inner whitespace collapsed and case-folded (X.520 caseIgnoreMatch, as far as strings go),
 * the attributes of a multi-valued RDN sorted. RFC 4514 lists RDNs last-first, so its order is reversed.
 */

const OID_NAMES: Record<string, string> = {
  '2.5.4.3': 'cn',
  '2.5.4.5': 'serialnumber',
  '2.5.4.6': 'c',
  '2.5.4.7': 'l',
  '2.5.4.8': 'st',
  '2.5.4.9': 'street',
  '2.5.4.10': 'o',
  '2.5.4.11': 'ou',
  '0.9.2342.19200300.100.1.1': 'uid',
  '0.9.2342.19200300.100.1.25': 'dc',
  '1.2.840.113549.1.9.1': 'emailaddress',
};
const ALIASES: Record<string, string> = { email: 'emailaddress', e: 'emailaddress', s: 'st' };

/** Splits on `sep` where it is not backslash-escaped. */
function splitUnescaped(text: string, sep: string): string[] {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '\\' && i + 1 < text.length) {
      current += text.slice(i, i + 2);
      i++;
    } else if (text.startsWith(sep, i)) {
      parts.push(current);
      current = '';
      i += sep.length - 1;
    } else current += text[i];
  }
  parts.push(current);
  return parts;
}

/** RFC 4514 §3 escapes: `\` followed by a special character or by two hex digits (UTF-8 bytes). */
function unescape(value: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < value.length; i++) {
    const hex = value[i] === '\\' ? value.slice(i + 1, i + 3) : '';
    if (/^[0-9a-f]{2}$/i.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      if (value[i] === '\\') i++;
      bytes.push(...Buffer.from(value[i] ?? '', 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

function attribute(text: string): string {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new Error('not an attribute=value pair');
  const raw = text.slice(0, eq).trim().toLowerCase().replace(/^oid\./, '');
  const type = OID_NAMES[raw] ?? ALIASES[raw] ?? raw;
  let value = text.slice(eq + 1).trim();
  if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
  return `${type}=${unescape(value).trim().replace(/\s+/g, ' ').normalize('NFKC').toLowerCase()}`;
}

const rdn = (text: string, sep: string) => splitUnescaped(text, sep).map(attribute).sort().join('+');

/** The canonical form of an RFC 4514 DN string; throws when it is not one. */
export function canonicalDn(rfc4514: string): string {
  if (!rfc4514.trim()) throw new Error('empty DN');
  return splitUnescaped(rfc4514, ',')
    .map((r) => rdn(r, '+'))
    .reverse()
    .join(',');
}

/** The canonical form of node:crypto's `X509Certificate.subject` (RDNs in certificate order, `a + b` multi-valued). */
export function canonicalSubject(nodeSubject: string): string {
  return nodeSubject
    .split('\n')
    .filter((line) => line !== '')
    .map((r) => rdn(r, ' + '))
    .join(',');
}
