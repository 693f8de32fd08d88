import { execFileSync } from 'node:child_process';
import { postgresStatus } from './postgres.js';

/**
 * The e2e suite runs the built server exactly as a user would, so compile once before any test. Then decide
 * whether PostgreSQL tests run: when CI=true they must.
 */
export default async function setup(): Promise<void> {
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json'], { stdio: 'inherit' });
  // The package's declarations (tsconfig.types.json), as `npm run build` makes them: the packed-tarball test needs them.
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.types.json'], { stdio: 'inherit' });
  const pg = await postgresStatus();
  if (!pg.available) {
    if (process.env['CI'] === 'true') throw new Error(`PostgreSQL is required in CI but unreachable at ${pg.url}: ${pg.reason}`);
    process.stdout.write(`\n[gatehouse tests] PostgreSQL unreachable at ${pg.url} (${pg.reason}); PostgreSQL tests are skipped\n`);
  }
}
