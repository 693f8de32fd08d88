/**
 * The standard claims (OpenID Connect Core §5.1) Gatehouse stores and releases, and the scopes that release
 * them (§5.4). One list, read by the release rules, the claims request parser and discovery.
 */

export const SCOPE_CLAIMS: Readonly<Record<string, readonly string[]>> = {
  profile: [
    'name', 'family_name', 'given_name', 'middle_name', 'nickname', 'preferred_username', 'profile', 'picture',
    'website', 'gender', 'birthdate', 'zoneinfo', 'locale', 'updated_at',
  ],
  email: ['email', 'email_verified'],
  address: ['address'],
  phone: ['phone_number', 'phone_number_verified'],
};

/** Every standard claim a user can have (besides `sub`). */
export const STANDARD_CLAIMS: readonly string[] = Object.values(SCOPE_CLAIMS).flat();

/** The members of the `address` claim (§5.1.1). */
export const ADDRESS_FIELDS = ['formatted', 'street_address', 'locality', 'region', 'postal_code', 'country'] as const;
export type AddressClaim = Partial<Record<(typeof ADDRESS_FIELDS)[number], string>>;

/**
 * The claims without a column of their own on the user (stored as one JSON object). Absent means unset.
 */
export interface ProfileClaims {
  middle_name?: string;
  nickname?: string;
  preferred_username?: string;
  profile?: string;
  picture?: string;
  website?: string;
  gender?: string;
  birthdate?: string;
  zoneinfo?: string;
  locale?: string;
  phone_number?: string;
  phone_number_verified?: boolean;
  address?: AddressClaim;
}

export const PROFILE_CLAIM_NAMES = [
  'middle_name', 'nickname', 'preferred_username', 'profile', 'picture', 'website', 'gender', 'birthdate',
  'zoneinfo', 'locale', 'phone_number', 'phone_number_verified', 'address',
] as const satisfies readonly (keyof ProfileClaims)[];

/** The claims of the ID token itself, besides the user's (discovery lists them too). */
export const ID_TOKEN_CLAIMS = ['sub', 'iss', 'aud', 'exp', 'iat', 'auth_time', 'nonce', 'at_hash', 'sid', 'amr'] as const;

/** `claims_supported`: exactly what can be released. */
export function supportedClaims(): string[] {
  return [...ID_TOKEN_CLAIMS, ...STANDARD_CLAIMS];
}
