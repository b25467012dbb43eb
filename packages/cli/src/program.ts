import { createRequire } from 'node:module';
import { Command, type CommanderError } from 'commander';
import { registerHealthcheck } from './commands/healthcheck.js';
import { registerPipe } from './commands/pipe.js';
import { registerRun } from './commands/run.js';
import { registerSearch } from './commands/search.js';
import { registerServe } from './commands/serve.js';
import { registerStreams } from './commands/streams.js';
import { registerTail } from './commands/tail.js';
import { registerVerify } from './commands/verify.js';
import { helpExamples } from './help-examples.js';
import { HELP_CONFIG } from './help-format.js';
import { usageCode } from './ingest/shipping-options.js';

/** One version source: the package's own package.json, read from `dist/` or `src/` alike. */
const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

/** The `livelog` command with every subcommand registered. */
export function createProgram(): Command {
  const program = new Command('livelog')
    .description('livelog: stream log lines to people and programs, and never lose one')
    .version(version)
    .showHelpAfterError('(run with --help for usage)')
    // `livelog run cmd --port 3000` must hand --port to cmd, not read it as run's own flag.
    .enablePositionalOptions();
  registerServe(program);
  registerHealthcheck(program);
  registerRun(program);
  registerPipe(program);
  registerTail(program);
  registerSearch(program);
  registerStreams(program);
  registerVerify(program);
  for (const command of [program, ...program.commands]) {
    const examples = helpExamples(command.name());
    if (examples !== undefined) command.addHelpText('after', examples);
    command.configureHelp(HELP_CONFIG);
    // Commander exits 1 on an unknown flag or a missing argument; livelog's usage errors are 2 (125
    // for `run`), as docs/reference/cli.md says. Help and --version still exit 0.
    command.exitOverride((error: CommanderError) => process.exit(error.exitCode === 0 ? 0 : usageCode(command.name())));
  }
  return program;
}
