import { createLocalJWKSet, jwtVerify, type JWTPayload, type JWTVerifyOptions } from 'jose';
import type { Keystore } from './keystore.service.js';

/**
 * Verifies tokens this server signed, with jose, against the currently published keys. The key set is rebuilt
 * only when the JWKS changes.
 */
export class JwtVerifier {
  private cachedFor = '';
  private keySet: ReturnType<typeof createLocalJWKSet> | undefined;

  private readonly keystore: Keystore;

  constructor(keystore: Keystore) {
    this.keystore = keystore;
  }

  async verify(token: string, options: JWTVerifyOptions): Promise<JWTPayload> {
    const body = this.keystore.jwksJson();
    if (body !== this.cachedFor || !this.keySet) {
      this.keySet = createLocalJWKSet(JSON.parse(body));
      this.cachedFor = body;
    }
    const { payload } = await jwtVerify(token, this.keySet, options);
    return payload;
  }
}
