import { configReference } from '../../config/reference.js';
import { parse, UsageError, type Command, type CommandHelp } from '../args.js';

export const CONFIG_HELP: CommandHelp = {
  name: 'config',
  summary: 'About the configuration itself.',
  subcommands: { reference: { summary: 'print every setting with its type, default and description (docs/CONFIG.md)' } },
};

export const configCommand: Command = async (argv) => {
  const { positionals } = parse(argv, {}, CONFIG_HELP);
  if (positionals[0] !== 'reference' || positionals.length > 1) throw new UsageError('usage: gatehouse config reference');
  process.stdout.write(configReference());
  return 0;
};
