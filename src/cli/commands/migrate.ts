import { migrateDown, migrateUp } from '../../storage/migrator.js';
import { parse, UsageError, withContainer, type Command, type CommandHelp } from '../args.js';

import { runSeed } from '../seed-report.js';

export { initialSecretsPath, reportSeed, runSeed } from '../seed-report.js';

export const MIGRATE_HELP: CommandHelp = {
  name: 'migrate',
  summary: 'Apply every pending migration (creating the database when the role may), then seed.',
  args: '[up|down]',
};
export const SEED_HELP: CommandHelp = { name: 'seed', summary: 'Create the superadmin, the default and demo clients and the providers of the config (idempotent).' };

export const migrateCommand: Command = async (argv) => {
  const { values, positionals } = parse(argv, { 'skip-seed': { type: 'boolean', description: 'do not seed after migrating up' } }, MIGRATE_HELP);
  const direction = positionals[0] ?? 'up';
  if (direction !== 'up' && direction !== 'down') throw new UsageError('expected `migrate`, `migrate up` or `migrate down`');
  return withContainer(values.config, async (c) => {
    const steps = direction === 'up' ? await migrateUp(c.db) : await migrateDown(c.db);
    for (const s of steps) process.stdout.write(`migrate: ${s}\n`);
    if (steps.length === 0) process.stdout.write('migrate: nothing to do\n');
    if (direction === 'up' && !values['skip-seed']) await runSeed(c);
    return 0;
  }, { createDatabase: direction === 'up' });
};

export const seedCommand: Command = async (argv) => {
  const { values } = parse(argv, {}, SEED_HELP);
  return withContainer(values.config, async (c) => {
    await runSeed(c);
    return 0;
  });
};
