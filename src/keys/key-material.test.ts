import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { saveKeyPair } from '../cli/commands/keys.js';
import { defaultAlgFor, KeyError, parsePrivatePem, parsePublicPem, publicJwk, type GenerateOptions } from './key-material.js';

const dir = mkdtempSync(join(tmpdir(), 'gatehouse-keys-'));

describe('key material', () => {
  const shapes: Array<[string, GenerateOptions, string]> = [
    ['rsa-2048', { type: 'RSA', modulusLength: 2048 }, 'RS256'],
    ['rsa-3072', { type: 'RSA', modulusLength: 3072 }, 'RS256'],
    ['ec-p256', { type: 'EC', curve: 'P-256' }, 'ES256'],
    ['ec-p384', { type: 'EC', curve: 'P-384' }, 'ES384'],
    ['ec-p521', { type: 'EC', curve: 'P-521' }, 'ES512'],
    ['ed25519', { type: 'OKP' }, 'EdDSA'],
  ];
  it.each(shapes)('%s: generate → save → load round trip, private 0600, public 0644', (name, shape, alg) => {
    const files = saveKeyPair(dir, name, shape);
    expect(statSync(files.privatePath).mode & 0o777).toBe(0o600);
    expect(statSync(files.publicPath!).mode & 0o777).toBe(0o644);
    const priv = parsePrivatePem(readFileSync(files.privatePath, 'utf8'));
    const pub = parsePublicPem(readFileSync(files.publicPath!, 'utf8'));
    expect(defaultAlgFor(priv)).toBe(alg);
    expect(publicJwk(pub)).toEqual(publicJwk(priv));
  });

  it('generates HMAC keys (private file only)', () => {
    const files = saveKeyPair(dir, 'hmac', { type: 'oct' });
    expect(files.publicPath).toBeUndefined();
    expect(Buffer.from(readFileSync(files.privatePath, 'utf8').trim(), 'base64').length).toBe(32);
  });

  it('loads PKCS#1 and SEC1 PEM as well as PKCS#8', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const pkcs1 = rsa.export({ format: 'pem', type: 'pkcs1' }) as string;
    expect(pkcs1).toContain('BEGIN RSA PRIVATE KEY');
    expect(defaultAlgFor(parsePrivatePem(pkcs1))).toBe('RS256');
    const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
    const sec1 = ec.export({ format: 'pem', type: 'sec1' }) as string;
    expect(sec1).toContain('BEGIN EC PRIVATE KEY');
    expect(defaultAlgFor(parsePrivatePem(sec1))).toBe('ES256');
    const spki = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'pem', type: 'pkcs1' }) as string;
    expect(parsePublicPem(spki).asymmetricKeyType).toBe('rsa');
  });

  it('refuses wrong type, short RSA and corrupt files with clear errors', () => {
    const short = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
    expect(() => parsePrivatePem(short, 'short.pem')).toThrow(new KeyError('RSA key is too short: at least 2048 bits required'));
    const pub = generateKeyPairSync('ed25519').publicKey.export({ format: 'pem', type: 'spki' }) as string;
    expect(() => parsePrivatePem(pub, 'pub.pem')).toThrow('pub.pem: is a public key, a private key is required');
    expect(() => parsePrivatePem('-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----\n', 'bad.pem')).toThrow(
      'bad.pem: corrupt PEM private key',
    );
    expect(() => parsePrivatePem('hello', 'x.pem')).toThrow('x.pem: not a PEM private key');
    const x448 = generateKeyPairSync('x25519').privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
    writeFileSync(join(dir, 'x.pem'), x448);
    expect(() => parsePrivatePem(x448)).toThrow(/unsupported key type/);
  });
});
