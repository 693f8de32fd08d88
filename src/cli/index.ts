/**
 * `gatehouse <command> [--config PATH]`. Every command loads the config the same way; a config, key or
 * database problem prints one line and exits non-zero before anything listens.
 */
import { readFileSync } from 'node:fs';
import { ConfigError } from '../config/load.js';
import { KeyError } from '../keys/key-material.js';
import { OAuthError } from '../oauth/errors.js';
import { DatabaseUnavailable } from '../storage/db.js';
import { serveCommand } from './commands/serve.js';
import { migrateCommand, seedCommand } from './commands/migrate.js';
import { keysCommand } from './commands/keys.js';
import { clientsCommand } from './commands/clients.js';
import { registrationTokensCommand } from './commands/registration-tokens.js';
import { usersCommand } from './commands/users.js';
import { membersCommand, projectsCommand, scopesCommand } from './commands/projects.js';
import { auditCommand } from './commands/audit.js';
import { cleanupCommand } from './commands/cleanup.js';
import { backupCommand, restoreCommand } from './commands/backup.js';
import { UsageError, type Command } from './args.js';

const COMMANDS: Record<string, Command> = {
  serve: serveCommand,
  migrate: migrateCommand,
  seed: seedCommand,
  keys: keysCommand,
  clients: clientsCommand,
  'registration-tokens': registrationTokensCommand,
  users: usersCommand,
  projects: projectsCommand,
  members: membersCommand,
  scopes: scopesCommand,
  audit: auditCommand,
  cleanup: cleanupCommand,
  backup: backupCommand,
  restore: restoreCommand,
};

const USAGE = `usage: gatehouse <command> [options] [--config PATH]

commands:
  serve                                 run the server (migrates and seeds a new SQLite database first)
  migrate [down] [--skip-seed]          apply (or revert the last) migration, then seed
  seed                                  create the superadmin, default and demo clients, providers
  keys generate|list|rotate|import|export-public
  clients create|list|show|update|rotate-secret|delete
  users create|list|disable|enable|set-password|delete
  projects create|list|show|rename|delete [--name N] [--yes]
  members add|list|set-role|remove --project ID [--user ID|EMAIL] [--role owner|admin|member]
  scopes list|create|delete [--project ID] [--name N] [--description D] [--operator-only]
  registration-tokens create [--uses N] [--expires 1h]
  audit list [--since 1h] [--actor ID] [--action A] [--limit N] [--cursor C]
  cleanup                               delete expired rows and audit events past audit.retention
  backup FILE                           online copy of a SQLite database (PostgreSQL: prints the pg_dump command)
  restore FILE                          put a SQLite backup back; only while no server has the database open

options:
  --version       print the version
  --config PATH   config file (default: $GATEHOUSE_CONFIG or ./config.yaml; relative paths in it are relative to it)
  --json          machine-readable output where supported`;

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
    process.stdout.write(USAGE + '\n');
    return name ? 0 : 2;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`gatehouse: unknown command ${name}\n${USAGE}\n`);
    return 2;
  }
  try {
    return await command(rest);
  } catch (err) {
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
