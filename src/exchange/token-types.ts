/** RFC 8693 §3: token type identifiers this server understands. */
export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
export const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
export const ID_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:id_token';
export const JWT_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:jwt';
export const REFRESH_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:refresh_token';

/** Types of our own tokens accepted as subject_token_type / actor_token_type (`jwt` too, from trusted issuers). */
export const OWN_TOKEN_TYPES: readonly string[] = [ACCESS_TOKEN_TYPE, ID_TOKEN_TYPE];
/** Types that may be requested; both yield one of our access tokens (a JWT when `jwt` is asked for). */
export const OUTPUT_TOKEN_TYPES: readonly string[] = [ACCESS_TOKEN_TYPE, JWT_TOKEN_TYPE];
