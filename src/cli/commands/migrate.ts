import { migrateDown, migrateUp } from '../../storage/migrator.js';
import { parse, UsageError, withContainer, type Command } from '../args.js';

import { runSeed } from '../seed-report.js';

export { initialSecretsPath, reportSeed, runSeed } from '../seed-report.js';

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
  }, { createDatabase: direction === 'up' });
};

export const seedCommand: Command = async (argv) => {
  const { values } = parse(argv, {});
  return withContainer(values.config, async (c) => {
    await runSeed(c);
    return 0;
  });
};
