/**
 * `gatehouse <command> [--config PATH]`. Every command loads the config the same way; a config, key or
 * database problem prints one line and exits non-zero before anything listens.
 */
import { readFileSync } from 'node:fs';
import { ConfigError } from '../config/load.js';
import { KeyError } from '../keys/key-material.js';
import { OAuthError } from '../oauth/errors.js';
import { DatabaseUnavailable } from '../storage/db.js';
import { SERVE_HELP, serveCommand } from './commands/serve.js';
import { MIGRATE_HELP, migrateCommand, SEED_HELP, seedCommand } from './commands/migrate.js';
import { KEYS_HELP, keysCommand } from './commands/keys.js';
import { CLIENTS_HELP, clientsCommand } from './commands/clients.js';
import { REGISTRATION_TOKENS_HELP, registrationTokensCommand } from './commands/registration-tokens.js';
import { USERS_HELP, usersCommand } from './commands/users.js';
import { MEMBERS_HELP, membersCommand, PROJECTS_HELP, projectsCommand, SCOPES_HELP, scopesCommand } from './commands/projects.js';
import { AUDIT_HELP, auditCommand } from './commands/audit.js';
import { CLEANUP_HELP, cleanupCommand } from './commands/cleanup.js';
import { BACKUP_HELP, backupCommand, RESTORE_HELP, restoreCommand } from './commands/backup.js';
import { CONFIG_HELP, configCommand } from './commands/config.js';
import { HelpRequested, UsageError, type Command, type CommandHelp } from './args.js';

const COMMANDS: Record<string, { run: Command; help: CommandHelp }> = {
  serve: { run: serveCommand, help: SERVE_HELP },
  migrate: { run: migrateCommand, help: MIGRATE_HELP },
  seed: { run: seedCommand, help: SEED_HELP },
  keys: { run: keysCommand, help: KEYS_HELP },
  clients: { run: clientsCommand, help: CLIENTS_HELP },
  'registration-tokens': { run: registrationTokensCommand, help: REGISTRATION_TOKENS_HELP },
  users: { run: usersCommand, help: USERS_HELP },
  projects: { run: projectsCommand, help: PROJECTS_HELP },
  members: { run: membersCommand, help: MEMBERS_HELP },
  scopes: { run: scopesCommand, help: SCOPES_HELP },
  audit: { run: auditCommand, help: AUDIT_HELP },
  cleanup: { run: cleanupCommand, help: CLEANUP_HELP },
  backup: { run: backupCommand, help: BACKUP_HELP },
  restore: { run: restoreCommand, help: RESTORE_HELP },
  config: { run: configCommand, help: CONFIG_HELP },
};

/** The top-level usage, generated from each command's own definition. */
function usage(): string {
  const rows = Object.values(COMMANDS).map(({ help }) => {
    const subs = Object.keys(help.subcommands ?? {});
    const shape = subs.length ? subs.join('|') : (help.args ?? '');
    return [`${help.name}${shape ? ` ${shape}` : ''}`, help.summary] as const;
  });
  return [
    'usage: gatehouse <command> [options] [--config PATH]',
    '',
    'commands:',
    ...rows.map(([a, b]) => `  ${a}\n      ${b}`),
    '',
    'options:',
    '  --version       print the version',
    '  -h, --help      this text; `gatehouse <command> --help` shows a command\'s options',
    '  --config PATH   config file (default: $GATEHOUSE_CONFIG or ./config.yaml; relative paths in it are relative to it)',
    '  --json          machine-readable output where supported',
  ].join('\n');
}

/** The installed package's version (dist/cli/index.js → package.json). */
function version(): string {
  return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

export async function run(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--version' || name === '-V' || name === 'version') {
    process.stdout.write(`gatehouse ${version()}\n`);
    return 0;
  }
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage() + '\n');
    return name ? 0 : 2;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`gatehouse: unknown command ${name}; see \`gatehouse --help\`\n`);
    return 2;
  }
  try {
    return await command.run(rest);
  } catch (err) {
    if (err instanceof HelpRequested) {
      process.stdout.write(err.text + '\n');
      return 0;
    }
    if (err instanceof UsageError) {
      process.stderr.write(`gatehouse ${name}: ${err.message}\n`);
      return 2;
    }
    if (err instanceof ConfigError || err instanceof DatabaseUnavailable || err instanceof KeyError) {
      process.stderr.write(`gatehouse: ${err.message}\n`);
      return 1;
    }
    if (err instanceof OAuthError) {
      // Stable code first, then the sentence: `gatehouse members add: already_member: user is already a member …`.
      process.stderr.write(`gatehouse ${name}: ${err.error}: ${err.description}\n`);
      return 1;
    }
    process.stderr.write(`gatehouse ${name}: ${(err as Error).message}\n`);
    return 1;
  }
}
