import { parseArgs, type ParseArgsConfig } from 'node:util';
import { createContainer, type Container } from '../app.js';
import { loadConfig } from '../config/load.js';

export type Command = (argv: string[]) => Promise<number>;

export class UsageError extends Error {}

type Options = NonNullable<ParseArgsConfig['options']>;

/** parseArgs with `--config` and `--json` always known; unknown options are a usage error. */
export function parse<O extends Options>(argv: string[], options: O) {
  try {
    return parseArgs({
      args: argv,
      options: { config: { type: 'string' }, json: { type: 'boolean' }, ...options },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** Opens the container for a command and always closes it. */
export async function withContainer<T>(
  configPath: string | undefined,
  fn: (c: Container) => Promise<T>,
  options: { migrate?: boolean; createDatabase?: boolean } = {},
): Promise<T> {
  // Only `migrate` (and `serve`) may create a database; every other command works on an existing one.
  const createDatabase = options.createDatabase ?? options.migrate ?? false;
  const config = loadConfig({ path: configPath, createDatabase });
  const container = await createContainer(config, { ...options, createDatabase });
  try {
    return await fn(container);
  } finally {
    await container.close();
  }
}

export function print(json: boolean | undefined, value: unknown, human: () => string): void {
  process.stdout.write((json ? JSON.stringify(value, null, 2) : human()) + '\n');
}
