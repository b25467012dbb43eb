import { Command } from 'commander';
import { registerHealthcheck } from './commands/healthcheck.js';
import { registerServe } from './commands/serve.js';

/** The `livelog` command with every subcommand registered. */
export function createProgram(): Command {
  const program = new Command('livelog')
    .description('livelog: stream log lines to people and programs, and never lose one')
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)');
  registerServe(program);
  registerHealthcheck(program);
  return program;
}
