/**
 * A small bounded cache of fetched documents, keyed by URL. Freshness follows the response's Cache-Control
 * (RFC 9111 §5.2.2: `max-age`, `no-store`, `no-cache`), capped so that a remote party cannot pin a document
 * for days, with a default for responses that say nothing. Failures are remembered briefly too: a client whose
 * jwks_uri is slow or refused must not make every one of its requests cost an outbound attempt.
 */
export interface CacheLimits {
  maxEntries: number;
  /** Used when the response has no max-age. */
  defaultSeconds: number;
  maxSeconds: number;
  /** How long a failed fetch is answered from the cache. */
  failureSeconds: number;
}

type Entry = { ok: true; value: unknown; fetchedAt: number; expiresAt: number } | { ok: false; error: Error; fetchedAt: number; expiresAt: number };

/** Seconds a response may be reused for, from its Cache-Control header (0 = do not keep). */
export function freshnessSeconds(cacheControl: string | undefined, limits: Pick<CacheLimits, 'defaultSeconds' | 'maxSeconds'>): number {
  if (!cacheControl) return limits.defaultSeconds;
  const directives = cacheControl.toLowerCase().split(',').map((d) => d.trim());
  if (directives.some((d) => d === 'no-store' || d === 'no-cache')) return 0;
  const maxAge = directives.find((d) => d.startsWith('max-age='))?.slice('max-age='.length).replace(/^"|"$/g, '');
  if (maxAge === undefined || !/^\d+$/.test(maxAge)) return limits.defaultSeconds;
  return Math.min(Number(maxAge), limits.maxSeconds);
}

export class ResponseCache {
  private readonly entries = new Map<string, Entry>();
  private readonly limits: CacheLimits;

  constructor(limits: CacheLimits) {
    this.limits = limits;
  }

  /** The live entry for `url`, if any; `maxAgeMs` additionally refuses entries fetched longer ago than that. */
  get(url: string, nowMs: number, maxAgeMs = Infinity): Entry | undefined {
    const e = this.entries.get(url);
    if (!e) return undefined;
    if (e.expiresAt <= nowMs || nowMs - e.fetchedAt > maxAgeMs) {
      if (e.expiresAt <= nowMs) this.entries.delete(url);
      return undefined;
    }
    // Map order is insertion order: re-inserting makes this the most recently used entry.
    this.entries.delete(url);
    this.entries.set(url, e);
    return e;
  }

  putValue(url: string, value: unknown, cacheControl: string | undefined, nowMs: number): void {
    const seconds = freshnessSeconds(cacheControl, this.limits);
    if (seconds > 0) this.put(url, { ok: true, value, fetchedAt: nowMs, expiresAt: nowMs + seconds * 1000 });
  }

  putFailure(url: string, error: Error, nowMs: number): void {
    this.put(url, { ok: false, error, fetchedAt: nowMs, expiresAt: nowMs + this.limits.failureSeconds * 1000 });
  }

  private put(url: string, entry: Entry): void {
    this.entries.delete(url);
    this.entries.set(url, entry);
    while (this.entries.size > this.limits.maxEntries) this.entries.delete(this.entries.keys().next().value!);
  }
}
