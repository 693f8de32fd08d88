/**
 * The sector of a pairwise client (OpenID Connect Core §8.1, Dynamic Client Registration §5): the host of its
 * `sector_identifier_uri`, whose JSON array must list every redirect URI; without one, the single host all its
 * redirect URIs share. The URI is fetched through src/outbound/ (https, size and time limits, SSRF-safe).
 */
import { InvalidClientMetadata } from '../oauth/errors.js';

export interface SectorFetcher {
  fetchJson(url: string): Promise<unknown>;
}

export interface SectorInput {
  subjectType?: 'public' | 'pairwise' | undefined;
  sectorIdentifierUri?: string | null | undefined;
  redirectUris: readonly string[];
}

/** The sector host for a pairwise client (null for a public one); invalid_client_metadata when it cannot be. */
export async function resolveSector(input: SectorInput, fetcher: SectorFetcher | undefined): Promise<string | null> {
  if (input.sectorIdentifierUri) {
    if (!fetcher) throw new InvalidClientMetadata('sector_identifier_uri: cannot be fetched by this server');
    let listed: unknown;
    try {
      listed = await fetcher.fetchJson(input.sectorIdentifierUri);
    } catch {
      throw new InvalidClientMetadata('sector_identifier_uri: could not be fetched as JSON');
    }
    if (!Array.isArray(listed) || listed.some((u) => typeof u !== 'string')) {
      throw new InvalidClientMetadata('sector_identifier_uri: must be a JSON array of redirect URIs');
    }
    const missing = input.redirectUris.filter((u) => !listed.includes(u));
    if (missing.length) throw new InvalidClientMetadata(`sector_identifier_uri: does not list the redirect URI ${missing[0]}`);
    return new URL(input.sectorIdentifierUri).hostname;
  }
  if (input.subjectType !== 'pairwise') return null;
  const hosts = new Set(input.redirectUris.map((u) => new URL(u).hostname));
  if (hosts.size !== 1) {
    throw new InvalidClientMetadata('sector_identifier_uri: required for a pairwise client whose redirect URIs are on more than one host');
  }
  return [...hosts][0]!;
}
