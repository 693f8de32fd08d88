/**
 * The one module through which the server fetches a URL it was given by someone else (a client's jwks_uri;
 * later sector_identifier_uri, request_uri, upstream metadata). Every such fetch is:
 * - https only; http only to a loopback address, and only with the development switch
 *   `outbound.allowInsecureLoopback`;
 * - made only to an allowed address (address-policy.ts), checked twice on one connection: in the DNS lookup
 *   the socket itself uses (every address a name resolves to must be allowed, so a rebinding name cannot
 *   slip a private address past an earlier check) and again on the connected socket's remote address;
 * - bounded: connect timeout, total timeout, a response size limit enforced while streaming;
 * - never redirected: a 3xx is a failure (a redirect could lead anywhere the first URL was checked against);
 * - cached (response-cache.ts), with concurrent fetches of one URL sharing one request.
 * Errors carry a reason for the log; callers answer their client with their own protocol error.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP, type LookupFunction, type Socket } from 'node:net';
import { Agent, buildConnector, request } from 'undici';
import { AddressPolicy, classifyAddress, type AddressPolicyOptions } from './address-policy.js';
import { ResponseCache } from './response-cache.js';

export interface OutboundOptions extends AddressPolicyOptions {
  connectTimeoutMs: number;
  /** From the start of the request to the last byte of the body. */
  timeoutMs: number;
  maxResponseBytes: number;
}

export class OutboundError extends Error {
  override name = 'OutboundError';
}

export interface FetchJsonOptions {
  /** Refetch when the cached copy is older than this (e.g. a JWKS without the key a token names). */
  maxCachedAgeMs?: number;
}

/** Fetches JSON documents from URLs chosen by clients, safely. */
export interface OutboundFetcher {
  fetchJson(url: string, options?: FetchJsonOptions): Promise<unknown>;
  /**
   * POSTs an `application/x-www-form-urlencoded` body (a back-channel logout token) under the same rules,
   * never cached; resolves with the status (the body is discarded), rejects with an OutboundError.
   */
  postForm(url: string, form: Record<string, string>): Promise<number>;
  close(): Promise<void>;
}

const CACHE = { maxEntries: 256, defaultSeconds: 300, maxSeconds: 3600, failureSeconds: 30 };
const REFUSED = 'EGATEHOUSE_OUTBOUND_REFUSED';

function refused(message: string): NodeJS.ErrnoException {
  return Object.assign(new OutboundError(message), { code: REFUSED });
}

/** A lookup for net/tls.connect that fails unless every address of the name is allowed. */
function guardedLookup(policy: AddressPolicy): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
      if (err) return callback(err, '', 0);
      const bad = addresses.find((a) => policy.refusal(a.address) !== undefined);
      if (bad || addresses.length === 0) {
        const why = bad ? `${hostname} resolves to a ${policy.refusal(bad.address)} address` : `${hostname} has no address`;
        return callback(refused(why), '', 0);
      }
      if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
      return callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  };
}

export function createOutboundFetcher(options: OutboundOptions): OutboundFetcher {
  const policy = new AddressPolicy(options);
  const base = buildConnector({ timeout: options.connectTimeoutMs, lookup: guardedLookup(policy) });
  const agent = new Agent({
    connect(opts, callback) {
      base(opts, (err, socket) => {
        if (err) return callback(err, null);
        // The address actually connected to: what matters, whatever resolved it.
        const remote = (socket as Socket).remoteAddress ?? '';
        const why = policy.refusal(remote) ?? (opts.protocol === 'http:' && !isLoopbackPlain(remote) ? 'non-loopback (http)' : undefined);
        if (why) {
          socket.destroy();
          return callback(refused(`connected to a ${why} address`), null);
        }
        callback(null, socket);
      });
    },
    headersTimeout: options.timeoutMs,
    bodyTimeout: options.timeoutMs,
    maxResponseSize: options.maxResponseBytes,
    connections: 16,
  });
  const cache = new ResponseCache(CACHE);
  const inFlight = new Map<string, Promise<unknown>>();

  const checkUrl = (raw: string): URL => {
    if (!URL.canParse(raw)) throw new OutboundError('not an absolute URL');
    const url = new URL(raw);
    if (url.username || url.password) throw new OutboundError('URL carries credentials');
    const literal = url.hostname.replace(/^\[|\]$/g, '');
    if (url.protocol === 'http:') {
      if (!policy.allowInsecureLoopback) throw new OutboundError('http is not allowed (https only)');
    } else if (url.protocol !== 'https:') {
      throw new OutboundError(`${url.protocol} is not allowed (https only)`);
    }
    // An IP literal is connected to without a lookup: check it here, before any connection.
    if (isIP(literal)) {
      const why = policy.refusal(literal) ?? (url.protocol === 'http:' && !isLoopbackPlain(literal) ? 'non-loopback (http)' : undefined);
      if (why) throw new OutboundError(`${literal} is a ${why} address`);
    }
    return url;
  };

  const fetchOnce = async (url: URL): Promise<{ value: unknown; cacheControl: string | undefined }> => {
    const signal = AbortSignal.timeout(options.timeoutMs);
    let res;
    try {
      res = await request(url, { dispatcher: agent, signal, headers: { accept: 'application/json, application/jwk-set+json' } });
    } catch (err) {
      throw err instanceof OutboundError ? err : new OutboundError(`fetch failed: ${describe(err)}`);
    }
    // Destroying an unread body reports an abort as an error event: expected here, so never unhandled.
    res.body.on('error', () => undefined);
    try {
      if (res.statusCode !== 200) throw new OutboundError(`answered ${res.statusCode}${res.statusCode >= 300 && res.statusCode < 400 ? ' (redirects are not followed)' : ''}`);
      const declared = Number(res.headers['content-length'] ?? 0);
      if (declared > options.maxResponseBytes) throw new OutboundError('response too large');
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of res.body) {
        size += (chunk as Buffer).length;
        if (size > options.maxResponseBytes) throw new OutboundError('response too large');
        chunks.push(chunk as Buffer);
      }
      let value: unknown;
      try {
        value = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        throw new OutboundError('response is not JSON');
      }
      const cc = res.headers['cache-control'];
      return { value, cacheControl: Array.isArray(cc) ? cc.join(',') : cc };
    } catch (err) {
      throw err instanceof OutboundError ? err : new OutboundError(`reading the response failed: ${describe(err)}`);
    } finally {
      // Aborts the rest of an oversized or unwanted body instead of reading it.
      res.body.destroy();
    }
  };

  return {
    async fetchJson(raw, fetchOptions = {}) {
      const url = checkUrl(raw);
      const key = url.href;
      const cached = cache.get(key, Date.now(), fetchOptions.maxCachedAgeMs);
      if (cached) {
        if (cached.ok) return cached.value;
        throw cached.error;
      }
      let pending = inFlight.get(key);
      if (!pending) {
        pending = fetchOnce(url).then(
          ({ value, cacheControl }) => {
            cache.putValue(key, value, cacheControl, Date.now());
            return value;
          },
          (err: unknown) => {
            const error = err instanceof Error ? err : new OutboundError(String(err));
            cache.putFailure(key, error, Date.now());
            throw error;
          },
        ).finally(() => inFlight.delete(key));
        inFlight.set(key, pending);
      }
      return pending;
    },
    async postForm(raw, form) {
      const url = checkUrl(raw);
      let res;
      try {
        res = await request(url, {
          method: 'POST',
          dispatcher: agent,
          signal: AbortSignal.timeout(options.timeoutMs),
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams(form).toString(),
        });
      } catch (err) {
        throw err instanceof OutboundError ? err : new OutboundError(`post failed: ${describe(err)}`);
      }
      res.body.on('error', () => undefined);
      res.body.destroy();
      return res.statusCode;
    },
    close: () => agent.close(),
  };
}

/** http is allowed to loopback only, even where the operator allowed private networks. */
function isLoopbackPlain(address: string): boolean {
  return classifyAddress(address) === 'loopback';
}

function describe(err: unknown): string {
  const e = err as { code?: string; cause?: { code?: string; message?: string }; message?: string };
  if (e.cause instanceof OutboundError) return e.cause.message;
  if ((e.cause as { code?: string } | undefined)?.code === REFUSED) return e.cause?.message ?? 'refused';
  return e.code ?? e.cause?.code ?? e.message ?? 'error';
}
