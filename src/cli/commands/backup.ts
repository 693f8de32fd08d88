import { loadConfig } from '../../config/load.js';
import { BackupError, backupSqlite, restoreSqlite } from '../../storage/dialects/sqlite-backup.js';
import { parse, print, UsageError, type Command, type CommandHelp } from '../args.js';

export const BACKUP_HELP: CommandHelp = { name: 'backup', args: 'FILE', summary: 'An online, consistent copy of a SQLite database while the server runs (PostgreSQL: prints the pg_dump command).' };
export const RESTORE_HELP: CommandHelp = { name: 'restore', args: 'FILE', summary: 'Put a SQLite backup back, only while no process has the database open (PostgreSQL: prints the pg_restore command).' };

/** The URL without its password: the advice printed below may end up in a terminal log. */
function withoutPassword(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = '****';
  return u.href;
}

function postgresAdvice(verb: 'backup' | 'restore', url: string, schema: string | undefined, file: string): string {
  const only = schema ? ` --schema=${schema}` : '';
  return verb === 'backup'
    ? `PostgreSQL is backed up with its own tool while the server runs: pg_dump --format=custom${only} --file=${file} '${withoutPassword(url)}'`
    : `PostgreSQL is restored with its own tool: pg_restore --clean --if-exists --dbname='${withoutPassword(url)}' ${file}`;
}

/**
 * `gatehouse backup FILE`: an online, consistent copy of a SQLite deployment while it serves.
 * `gatehouse restore FILE`: puts a backup back, only while no process has the database open.
 */
function backupOrRestore(verb: 'backup' | 'restore'): Command {
  return async (argv) => {
    const { values, positionals } = parse(argv, {}, verb === 'backup' ? BACKUP_HELP : RESTORE_HELP);
    const file = positionals[0];
    if (!file || positionals.length > 1) throw new UsageError(`usage: gatehouse ${verb} FILE [--config PATH]`);
    const config = loadConfig({ path: values.config, createDatabase: verb === 'restore' });
    const url = config.database.url;
    if (!url.startsWith('sqlite:')) {
      process.stderr.write(`gatehouse ${verb}: ${postgresAdvice(verb, url, config.database.schema, file)}\n`);
      return 1;
    }
    try {
      const result = verb === 'backup' ? await backupSqlite(url, file) : await restoreSqlite(url, file);
      print(values.json, result, () =>
        verb === 'backup' ? `backed up ${result.pages} page(s), ${result.bytes} bytes, to ${result.file}` : `restored ${result.file} (${result.bytes} bytes); start the server again`,
      );
      return 0;
    } catch (err) {
      if (err instanceof BackupError) {
        process.stderr.write(`gatehouse ${verb}: ${err.message}\n`);
        return 1;
      }
      throw err;
    }
  };
}

export const backupCommand = backupOrRestore('backup');
export const restoreCommand = backupOrRestore('restore');
