/**
 * Online backup and offline restore of a SQLite deployment. Copying the database file of a running server loses
 * whatever still sits in the WAL; SQLite's backup API copies a consistent snapshot, WAL included, while the
 * server keeps writing (WAL readers never block writers).
 */
import { existsSync, renameSync, rmSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import SQLite from 'better-sqlite3';

export class BackupError extends Error {
  override name = 'BackupError';
}

/** The file behind a `sqlite:` URL, resolved the way the server resolves it. */
export function sqliteFile(url: string): string {
  const file = url.slice('sqlite:'.length);
  if (file === ':memory:') throw new BackupError('database.url: an in-memory database has nothing to back up');
  return resolve(file);
}

export interface BackupResult {
  file: string;
  bytes: number;
  pages: number;
}

/** The whole database in one backup step: the snapshot is taken once, however busy the server is. */
const ALL_PAGES = 0x7fffffff;

export async function backupSqlite(url: string, destination: string): Promise<BackupResult> {
  const source = sqliteFile(url);
  if (!existsSync(source)) throw new BackupError(`database.url: ${source} does not exist; nothing to back up`);
  const target = resolve(destination);
  if (existsSync(target)) throw new BackupError(`${target} already exists; choose a new file name`);
  // Written beside the target and renamed when complete and verified, so a failed backup leaves no file that
  // looks like a good one.
  const partial = `${target}.partial`;
  rmSync(partial, { force: true });
  const db = new SQLite(source, { readonly: true, fileMustExist: true, timeout: 5000 });
  try {
    const progress = await db.backup(partial, { progress: () => ALL_PAGES });
    checkDatabase(partial);
    renameSync(partial, target);
    return { file: target, bytes: statSync(target).size, pages: progress.totalPages };
  } catch (err) {
    rmSync(partial, { force: true });
    if (err instanceof BackupError) throw err;
    throw new BackupError(`backup failed: ${(err as Error).message}`);
  } finally {
    db.close();
  }
}

/** Replaces the deployment's database with a backup. Refuses while any process has the database open. */
export async function restoreSqlite(url: string, backupFile: string): Promise<BackupResult> {
  const live = sqliteFile(url);
  const source = resolve(backupFile);
  if (!existsSync(source)) throw new BackupError(`${source} does not exist`);
  checkDatabase(source);
  if (existsSync(live)) assertNotInUse(live);
  const db = new SQLite(source, { readonly: true, fileMustExist: true });
  try {
    const progress = await db.backup(live, { progress: () => ALL_PAGES });
    checkDatabase(live);
    return { file: live, bytes: statSync(live).size, pages: progress.totalPages };
  } catch (err) {
    if (err instanceof BackupError) throw err;
    throw new BackupError(`restore failed: ${(err as Error).message}`);
  } finally {
    db.close();
  }
}

/** A Gatehouse database that SQLite finds intact. */
function checkDatabase(file: string): void {
  let db: SQLite.Database | undefined;
  try {
    db = new SQLite(file, { readonly: true, fileMustExist: true });
    const result = db.pragma('integrity_check', { simple: true });
    if (result !== 'ok') throw new BackupError(`${file}: integrity check failed (${String(result)})`);
    const migrations = db.prepare("select count(*) as n from sqlite_master where type = 'table' and name = 'gatehouse_migrations'").get() as { n: number };
    if (migrations.n !== 1) throw new BackupError(`${file} is not a Gatehouse database (no gatehouse_migrations table)`);
  } catch (err) {
    if (err instanceof BackupError) throw err;
    throw new BackupError(`${file} is not a readable SQLite database (${(err as Error).message})`);
  } finally {
    db?.close();
  }
}

/**
 * Every open connection to a WAL database holds a shared lock; taking the exclusive lock fails while a server
 * (or any other process) has it open, which is exactly when a restore would corrupt what it is serving.
 */
function assertNotInUse(file: string): void {
  const db = new SQLite(file, { fileMustExist: true, timeout: 200 });
  try {
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('BEGIN EXCLUSIVE');
    db.exec('COMMIT');
  } catch {
    throw new BackupError(`${file} is in use: stop \`gatehouse serve\` (every node) before restoring`);
  } finally {
    db.close();
  }
}
