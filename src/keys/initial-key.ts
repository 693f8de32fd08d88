/**
 * The optional first signing key an operator imports from PEM files (security.jwtPrivateKeyPath and
 * jwtPublicKeyPath): read once at startup, refused with a KeyError naming the setting when unreadable or
 * mismatched, and reported when the private key file is readable by others.
 */
import { readFileSync, statSync } from 'node:fs';
import type { Config } from '../config/schema.js';
import { KeyError, parsePrivatePem, parsePublicPem, publicJwk } from './key-material.js';

export function initialKey(config: Config, warnings: string[]) {
  const path = config.security.jwtPrivateKeyPath;
  if (!path) return undefined;
  let pem: string;
  try {
    pem = readFileSync(path, 'utf8');
    if ((statSync(path).mode & 0o077) !== 0) warnings.push(`${path}: private key file is readable by others; chmod 600 it`);
  } catch {
    throw new KeyError(`security.jwtPrivateKeyPath: cannot read ${path}`);
  }
  const key = parsePrivatePem(pem, 'security.jwtPrivateKeyPath');
  if (config.security.jwtPublicKeyPath) {
    const pub = parsePublicPem(readFileSync(config.security.jwtPublicKeyPath, 'utf8'), 'security.jwtPublicKeyPath');
    if (JSON.stringify(publicJwk(pub)) !== JSON.stringify(publicJwk(key))) {
      throw new KeyError('security.jwtPublicKeyPath: does not match the private key');
    }
  }
  return { key, kid: config.security.jwksKid };
}
