import { parseArgs } from 'node:util';
import { createContainer, type Container } from '../app.js';
import { loadConfig } from '../config/load.js';

export type Command = (argv: string[]) => Promise<number>;

export class UsageError extends Error {}

/** One flag: parseArgs' own settings plus the line `--help` prints (required, so no flag goes undocumented). */
export interface Flag {
  type: 'string' | 'boolean';
  multiple?: boolean;
  short?: string;
  description: string;
  /** The value's name in the help text (`--uses N`); default VALUE. */
  value?: string;
}

/** What `gatehouse <command> --help` prints besides the flags. */
export interface CommandHelp {
  name: string;
  summary: string;
  /** Positional arguments of a command without subcommands (`FILE`). */
  args?: string;
  /** Subcommands: their positional arguments, one line each, and the flags that apply (default: all). */
  subcommands?: Record<string, { args?: string; summary: string; flags?: readonly string[] }>;
}

/** Flags every command knows. */
export const COMMON_FLAGS = {
  config: { type: 'string', value: 'PATH', description: 'config file (default: $GATEHOUSE_CONFIG or ./config.yaml)' },
  json: { type: 'boolean', description: 'machine-readable output where supported' },
} as const satisfies Record<string, Flag>;

/** `--help` was asked for: the text is printed on stdout and the command exits 0. */
export class HelpRequested extends Error {
  readonly text: string;
  constructor(text: string) {
    super('help');
    this.text = text;
  }
}

const flagLine = (name: string, flag: Flag): [string, string] => {
  const shown = `${flag.short ? `-${flag.short}, ` : ''}--${name}${flag.type === 'string' ? ` ${flag.value ?? 'VALUE'}` : ''}`;
  return [shown, flag.description + (flag.multiple ? ' (repeatable)' : '')];
};

const columns = (rows: Array<[string, string]>): string => {
  const width = Math.min(40, Math.max(...rows.map(([a]) => a.length)) + 2);
  return rows.map(([a, b]) => `  ${a.padEnd(width)}${a.length >= width ? `\n  ${' '.repeat(width)}` : ''}${b}`).join('\n');
};

/** The help text of a command, or of one of its subcommands, generated from its definition. */
export function helpText(help: CommandHelp, flags: Record<string, Flag>, sub?: string): string {
  const subs = help.subcommands ?? {};
  const chosen = sub !== undefined ? subs[sub] : undefined;
  const own = Object.entries(flags).filter(([name]) => !(name in COMMON_FLAGS) && (!chosen?.flags || chosen.flags.includes(name)));
  const common: Array<[string, string]> = [...Object.entries(COMMON_FLAGS).map(([n, f]) => flagLine(n, f)), ['-h, --help', 'show this help']];
  const out: string[] = [];
  if (chosen && sub !== undefined) {
    out.push(`usage: gatehouse ${help.name} ${sub}${chosen.args ? ` ${chosen.args}` : ''}${own.length ? ' [options]' : ''}`, '', chosen.summary);
  } else {
    const shape = Object.keys(subs).length ? ' <subcommand>' : help.args ? ` ${help.args}` : '';
    out.push(`usage: gatehouse ${help.name}${shape}${own.length ? ' [options]' : ''}`, '', help.summary);
    if (Object.keys(subs).length) {
      out.push('', 'subcommands:', columns(Object.entries(subs).map(([n, s]) => [`${n}${s.args ? ` ${s.args}` : ''}`, s.summary])));
      out.push('', `\`gatehouse ${help.name} <subcommand> --help\` shows the options of one.`);
    }
  }
  if (own.length) out.push('', 'options:', columns(own.map(([n, f]) => flagLine(n, f))));
  out.push('', 'common options:', columns(common));
  return out.join('\n');
}

/**
 * parseArgs over the command's flags plus the common ones; `--help`/`-h` anywhere prints the generated help
 * (of the subcommand named first, if any); an unknown option is one line pointing to `--help`.
 */
export function parse<O extends Record<string, Flag>>(argv: string[], options: O, help: CommandHelp) {
  const all = { ...COMMON_FLAGS, ...options };
  if (argv.includes('--help') || argv.includes('-h')) {
    const sub = argv.find((a) => !a.startsWith('-'));
    throw new HelpRequested(helpText(help, all, sub !== undefined && help.subcommands?.[sub] ? sub : undefined));
  }
  try {
    return parseArgs({ args: argv, options: all, allowPositionals: true, strict: true });
  } catch (err) {
    const e = err as Error & { code?: string };
    const named = /'([^']+)'/.exec(e.message)?.[1];
    const reason =
      e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && named
        ? `unknown option ${named}`
        : e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && named
          ? `option ${named} needs a value`
          : e.message.split('. ')[0];
    throw new UsageError(`${reason}; see \`gatehouse ${help.name} --help\``);
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
