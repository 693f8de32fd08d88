/**
 * Issue 13 ("CLI that explains itself"): every command and subcommand of the built CLI answers --help from the
 * one definition its parser uses; an unknown option is one line that points there.
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const BIN = resolve('bin/gatehouse');

function gatehouse(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, GATEHOUSE_CONFIG: '/nonexistent/never-read.yaml' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => done({ code, stdout, stderr }));
  });
}

/** `  clients create|list|show` lines of the top-level usage → { clients: ['create', 'list', 'show'] }. */
function commandsOf(usage: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const m of usage.matchAll(/^ {2}([a-z-]+)(?: (\S+))?$/gm)) {
    const [, name, shape] = m;
    out[name!] = shape && !shape.startsWith('[') && shape === shape.toLowerCase() ? shape.split('|') : [];
  }
  return out;
}

/** Option lines (`  --name NAME   description`): every one must say what it does. */
function optionLines(help: string): string[] {
  return help.split('\n').filter((l) => /^ {2}(-\w, )?--[a-z-]+/.test(l));
}

describe('gatehouse --help', () => {
  it('lists every command, users included, and exits 0', async () => {
    const r = await gatehouse(['--help']);
    expect(r.code).toBe(0);
    const commands = commandsOf(r.stdout);
    for (const name of ['serve', 'migrate', 'seed', 'keys', 'clients', 'users', 'projects', 'members', 'scopes', 'registration-tokens', 'audit', 'cleanup', 'backup', 'restore']) {
      expect(commands, name).toHaveProperty(name);
    }
    expect((await gatehouse(['-h'])).stdout).toBe(r.stdout);
  });

  it('every command and every subcommand answers --help with its usage and a description for each option', { timeout: 120_000 }, async () => {
    const commands = commandsOf((await gatehouse(['--help'])).stdout);
    const asks: Array<[string[], string]> = [];
    for (const [name, subs] of Object.entries(commands)) {
      asks.push([[name, '--help'], `usage: gatehouse ${name}`]);
      for (const sub of subs) asks.push([[name, sub, '--help'], `usage: gatehouse ${name} ${sub}`]);
    }
    expect(asks.length).toBeGreaterThan(40);
    const answers = await Promise.all(asks.map(([args]) => gatehouse(args)));
    answers.forEach((r, i) => {
      const [args, head] = asks[i]!;
      const where = `gatehouse ${args.join(' ')}:\n${r.stdout}${r.stderr}`;
      expect(r.code, where).toBe(0);
      expect(r.stdout.startsWith(head), where).toBe(true);
      expect(r.stdout, where).toContain('--config PATH');
      for (const line of optionLines(r.stdout)) expect(line.trim(), `${where}\n(an option without a description)`).toMatch(/^\S.*\S {2,}\S/);
    });
  });

  it('clients create documents all of its flags', async () => {
    const r = await gatehouse(['clients', 'create', '--help']);
    for (const flag of ['--redirect-uri URI', '--grant GRANT', '--auth METHOD', '--jwks FILE', '--metadata FILE', '--subject-type', '--id-token-alg', '--access-token-format', '--backchannel-logout-uri', '--frontchannel-logout-session-required', '--skip-consent', '--no-pkce']) {
      expect(r.stdout).toContain(flag);
    }
    // The options of another subcommand are not offered here.
    expect(r.stdout).not.toContain('--grace');
    expect((await gatehouse(['clients', 'rotate-secret', '--help'])).stdout).toContain('--grace DURATION');
  });

  it('an unknown option or a missing value is one line naming it, pointing to --help, exit 2', async () => {
    const unknown = await gatehouse(['clients', 'list', '--bogus']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe('gatehouse clients: unknown option --bogus; see `gatehouse clients --help`\n');
    const missing = await gatehouse(['users', 'create', '--email']);
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    expect(missing.stderr).toContain('--email');
    const command = await gatehouse(['frobnicate']);
    expect(command.code).toBe(2);
    expect(command.stderr).toBe('gatehouse: unknown command frobnicate; see `gatehouse --help`\n');
  });
});
