import { mkdirSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { CLI_CONTEXT } from '../../audit/audit-event.js';
import {
  generateKey,
  parsePrivatePem,
  privateKeyToPem,
  publicKeyToPem,
  thumbprint,
  defaultAlgFor,
  type GenerateOptions,
} from '../../keys/key-material.js';
import type { SigningAlg } from '../../keys/keystore.service.js';
import { parse, print, UsageError, withContainer, type Command, type CommandHelp } from '../args.js';

export const KEYS_HELP: CommandHelp = {
  name: 'keys',
  summary: 'Signing keys: each alg has an active key, a published next key and retired keys still published.',
  subcommands: {
    generate: { summary: 'write a new key pair as PEM files (private 0600), without touching the database', flags: ['type', 'bits', 'curve', 'out', 'name'] },
    list: { summary: 'the keys in the database with their state and dates', flags: [] },
    rotate: { summary: 'promote each next key (or one alg’s) to active and publish a new next key', flags: ['alg', 'force'] },
    import: { args: 'PRIVATE-KEY.pem', summary: 'add a PEM private key as the next key of its alg', flags: ['alg', 'kid'] },
    'export-public': { summary: 'print the published keys as a JWKS', flags: ['kid'] },
  },
};

const ALGS: SigningAlg[] = ['RS256', 'PS256', 'ES256', 'ES384', 'ES512', 'EdDSA'];

function checkAlg(value: string | undefined): SigningAlg | undefined {
  if (value === undefined) return undefined;
  if (!ALGS.includes(value as SigningAlg)) throw new UsageError(`--alg must be one of ${ALGS.join(', ')}`);
  return value as SigningAlg;
}

/** Writes a key pair as PEM: private 0600, public 0644. */
export function saveKeyPair(dir: string, name: string, options: GenerateOptions): { privatePath: string; publicPath?: string } {
  const key = generateKey(options);
  mkdirSync(dir, { recursive: true });
  const privatePath = join(dir, `${name}.key.pem`);
  writeFileSync(privatePath, privateKeyToPem(key), { mode: 0o600 });
  chmodSync(privatePath, 0o600);
  if (key.type === 'secret') return { privatePath };
  const publicPath = join(dir, `${name}.pub.pem`);
  writeFileSync(publicPath, publicKeyToPem(key), { mode: 0o644 });
  chmodSync(publicPath, 0o644);
  return { privatePath, publicPath };
}

export const keysCommand: Command = async (argv) => {
  const { values, positionals } = parse(
    argv,
    {
      type: { type: 'string', value: 'rsa|ec|ed25519|hmac', description: 'key type to generate (default rsa)' },
      bits: { type: 'string', value: 'N', description: 'RSA modulus length (default 2048)' },
      curve: { type: 'string', value: 'P-256|P-384|P-521', description: 'EC curve (default P-256)' },
      out: { type: 'string', value: 'DIR', description: 'directory for the PEM files (default ./keys)' },
      name: { type: 'string', value: 'NAME', description: 'file name stem (default gatehouse-<type>)' },
      alg: { type: 'string', value: 'ALG', description: `signing alg: ${ALGS.join(', ')}` },
      kid: { type: 'string', value: 'KID', description: 'key id (import: default the JWK thumbprint; export-public: only this key)' },
      force: { type: 'boolean', description: 'rotate even if the next key was published too recently for caches to know it' },
    },
    KEYS_HELP,
  );
  const [sub, arg] = positionals;
  switch (sub) {
    case 'generate': {
      const type = (values.type ?? 'rsa').toLowerCase();
      const shapes: Record<string, GenerateOptions> = {
        rsa: { type: 'RSA', modulusLength: Number(values.bits ?? 2048) },
        ec: { type: 'EC', curve: (values.curve ?? 'P-256') as 'P-256' },
        ed25519: { type: 'OKP' },
        hmac: { type: 'oct' },
      };
      const shape = shapes[type];
      if (!shape) throw new UsageError('--type must be rsa, ec, ed25519 or hmac');
      const files = saveKeyPair(values.out ?? './keys', values.name ?? `gatehouse-${type}`, shape);
      print(values.json, files, () => `wrote ${files.privatePath} (0600)${files.publicPath ? ` and ${files.publicPath} (0644)` : ''}`);
      return 0;
    }
    case 'list':
      return withContainer(values.config, async (c) => {
        const keys = (await c.keystore.list()).map((k) => ({
          kid: k.kid,
          alg: k.alg,
          state: k.state,
          created_at: k.createdAt,
          activated_at: k.activatedAt,
          retired_at: k.retiredAt,
          published_until: k.publishUntil,
        }));
        print(values.json, keys, () => keys.map((k) => `${k.state.padEnd(8)} ${k.alg.padEnd(6)} ${k.kid}`).join('\n') || 'no keys');
        return 0;
      });
    case 'rotate':
      return withContainer(values.config, async (c) => {
        await c.keystore.ensure();
        // Too early a rotation throws RotationTooEarly (a KeyError): one line naming the wait, exit 1.
        const result = await c.keystore.rotate(checkAlg(values.alg), { force: values.force === true }, CLI_CONTEXT);
        const until = (t: number | undefined) => (t === undefined ? '' : ` (published until ${new Date(t * 1000).toISOString()})`);
        print(values.json, result, () =>
          result.map((r) => `${r.alg}: active ${r.active}, next ${r.next}${r.retired ? `, retired ${r.retired}${until(r.retiredPublishedUntil)}` : ''}`).join('\n'),
        );
        return 0;
      });
    case 'import': {
      if (!arg) throw new UsageError('usage: gatehouse keys import <private-key.pem> [--alg ALG] [--kid KID]');
      const key = parsePrivatePem(readFileSync(arg, 'utf8'), arg);
      const alg = checkAlg(values.alg) ?? (defaultAlgFor(key) as SigningAlg);
      return withContainer(values.config, async (c) => {
        const stored = await c.keystore.importKey(key, alg, values.kid ?? (await thumbprint(key)), CLI_CONTEXT);
        print(values.json, { kid: stored.kid, alg: stored.alg, state: stored.state }, () =>
          `imported ${stored.kid} (${stored.alg}) as the next key; it signs after \`gatehouse keys rotate --alg ${stored.alg}\``,
        );
        return 0;
      });
    }
    case 'export-public':
      return withContainer(values.config, async (c) => {
        await c.keystore.refresh();
        const keys = c.keystore.publicKeys().filter((k) => !values.kid || k.kid === values.kid);
        process.stdout.write(JSON.stringify({ keys }, null, 2) + '\n');
        return 0;
      });
    default:
      throw new UsageError('usage: gatehouse keys generate|list|rotate|import|export-public');
  }
};
