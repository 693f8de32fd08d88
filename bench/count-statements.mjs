// Preloaded into a bench server (`NODE_OPTIONS=--import=<this file>`, bench/postgres.mjs only): counts every
// statement the pg driver sends, so statements per operation come from the driver itself. On SIGUSR2 it writes
// the counts so far to $GATEHOUSE_STATEMENT_COUNT_FILE. Never loaded by `gatehouse serve` on its own.
import { createRequire } from 'node:module';
import { writeFileSync } from 'node:fs';

const require = createRequire(import.meta.url);
const pg = require('pg');
const counts = new Map();
const query = pg.Client.prototype.query;
pg.Client.prototype.query = function countedQuery(config, ...rest) {
  const text = typeof config === 'string' ? config : (config?.text ?? '');
  const key = text.replace(/\s+/g, ' ').trim().slice(0, 90);
  counts.set(key, (counts.get(key) ?? 0) + 1);
  return query.call(this, config, ...rest);
};
process.on('SIGUSR2', () => {
  writeFileSync(process.env.GATEHOUSE_STATEMENT_COUNT_FILE, JSON.stringify(Object.fromEntries(counts)));
});
