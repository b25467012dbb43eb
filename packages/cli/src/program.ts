import { Command } from 'commander';
import { registerHealthcheck } from './commands/healthcheck.js';
import { registerPipe } from './commands/pipe.js';
import { registerRun } from './commands/run.js';
import { registerServe } from './commands/serve.js';
import { registerStreams } from './commands/streams.js';
import { registerTail } from './commands/tail.js';
import { registerVerify } from './commands/verify.js';

/** The `livelog` command with every subcommand registered. */
export function createProgram(): Command {
  const program = new Command('livelog')
    .description('livelog: stream log lines to people and programs, and never lose one')
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    // `livelog run cmd --port 3000` must hand --port to cmd, not read it as run's own flag.
    .enablePositionalOptions();
  registerServe(program);
  registerHealthcheck(program);
  registerRun(program);
  registerPipe(program);
  registerTail(program);
  registerStreams(program);
  registerVerify(program);
  return program;
}
