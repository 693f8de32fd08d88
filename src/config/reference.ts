/**
 * docs/CONFIG.md, generated from the config schema (`gatehouse config reference`): every setting with its type,
 * default and description, so the reference cannot drift from what the loader accepts.
 */
import { ConfigSchema } from './schema.js';

interface Node {
  type?: string;
  description?: string;
  default?: unknown;
  properties?: Record<string, Node>;
  items?: Node;
  anyOf?: Node[];
  enum?: unknown[];
  const?: unknown;
  minimum?: number;
  maximum?: number;
  additionalProperties?: boolean | Node;
}

function typeOf(n: Node): string {
  if (n.const !== undefined) return JSON.stringify(n.const);
  if (n.enum) return n.enum.map((v) => JSON.stringify(v)).join(' \\| ');
  if (n.anyOf) return n.anyOf.map(typeOf).join(' \\| ');
  if (n.type === 'array') return `${n.items ? typeOf(n.items) : 'any'}[]`;
  if (n.type === 'object' && !n.properties) return 'map';
  const range = n.minimum !== undefined || n.maximum !== undefined ? ` (${n.minimum ?? '…'}–${n.maximum ?? '…'})` : '';
  return `${n.type ?? 'any'}${range}`;
}

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function rows(node: Node, path: string, out: string[]): void {
  for (const [key, child] of Object.entries(node.properties ?? {})) {
    const name = path ? `${path}.${key}` : key;
    if (child.type === 'object' && child.properties) {
      if (child.description) out.push(`| \`${name}\` | object | | ${cell(child.description)} |`);
      rows(child, name, out);
      continue;
    }
    const shown = child.default === undefined ? '' : `\`${cell(JSON.stringify(child.default))}\``;
    out.push(`| \`${name}\` | ${typeOf(child)} | ${shown} | ${cell(child.description ?? '')} |`);
  }
}

export function configReference(): string {
  const out = [
    '# Configuration reference',
    '',
    'Generated from `src/config/schema.ts` by `gatehouse config reference` (a test fails when this file differs).',
    'Settings come from the YAML file (`--config`, `$GATEHOUSE_CONFIG` or `./config.yaml`), where `${VAR}` and',
    '`${VAR:-default}` read the environment; relative paths are relative to the file. Durations are seconds.',
    '',
    '| Setting | Type | Default | Description |',
    '| --- | --- | --- | --- |',
  ];
  rows(ConfigSchema as unknown as Node, '', out);
  return out.join('\n') + '\n';
}
