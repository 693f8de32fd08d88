import type { Container } from '../../app.js';
import type { SeedResult } from '../../seed/seeder.js';
import { migrateDown, migrateUp } from '../../storage/migrator.js';
import { parse, UsageError, withContainer, type Command } from '../args.js';

/** Prints what a seed run created; generated secrets are shown here once and never again. */
export function reportSeed(result: SeedResult): void {
  if (result.generatedAdminPassword) {
    process.stdout.write(`superadmin ${result.adminEmail} password (shown once): ${result.generatedAdminPassword}\n`);
  }
  if (result.demoClient?.clientSecret) {
    process.stdout.write(`demo client ${result.demoClient.clientId} secret (shown once): ${result.demoClient.clientSecret}\n`);
  }
}

export async function runSeed(c: Container): Promise<SeedResult> {
  const result = await c.seed((m) => process.stdout.write(`seed: ${m}\n`));
  reportSeed(result);
  return result;
}

export const migrateCommand: Command = async (argv) => {
  const { values, positionals } = parse(argv, { 'skip-seed': { type: 'boolean' } });
  const direction = positionals[0] ?? 'up';
  if (direction !== 'up' && direction !== 'down') throw new UsageError('expected `migrate`, `migrate up` or `migrate down`');
  return withContainer(values.config, async (c) => {
    const steps = direction === 'up' ? await migrateUp(c.db) : await migrateDown(c.db);
    for (const s of steps) process.stdout.write(`migrate: ${s}\n`);
    if (steps.length === 0) process.stdout.write('migrate: nothing to do\n');
    if (direction === 'up' && !values['skip-seed']) await runSeed(c);
    return 0;
  });
};

export const seedCommand: Command = async (argv) => {
  const { values } = parse(argv, {});
  return withContainer(values.config, async (c) => {
    await runSeed(c);
    return 0;
  });
};
