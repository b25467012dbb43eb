import { type Command, Option } from 'commander';
import { addShippingOptions, type ShippingFlags } from '../ingest/shipping-options.js';

/** Flags of `livelog run`. */
export interface RunFlags extends ShippingFlags {
  name?: string;
  /** False with `--no-end`: leave the `--stream` open when the command ends. */
  end: boolean;
}

/**
 * `livelog run [--name api] [--server URL] -- cmd args…`: runs the command, passes its stdout and
 * stderr through unchanged, ships every line (stderr lines at level error unless they state one; a
 * stack trace as one entry), records its start and exit, forwards signals, and exits with its code.
 * With the embedded server it keeps serving the console after the command ended, until Ctrl-C
 * (not with --exit). With `--stream NAME` the lines go to that stream, and once they are all stored
 * the stream is ended with the command's exit code (a killed command: 128 + the signal's number and
 * the reason `signal SIGTERM`), so `livelog tail --stream NAME` and the console know the job is over.
 * Lines the server refused (an ended stream) or never acknowledged turn a program's 0 into 125, livelog's own failure.
 */
export function registerRun(program: Command): void {
  const command = program
    .command('run')
    .description('run a command, pass its output through unchanged, and ship every line of it to livelog')
    .argument('<command>', 'the program to run')
    .argument('[args...]', 'its arguments (put -- before the command when they contain options)')
    .addOption(new Option('-n, --name <name>', "source of the lines (default: the command's base name)").env('LIVELOG_NAME'))
    .addOption(
      new Option('--no-end', 'with --stream: leave the stream open when the command ends (it is ended with the exit code by default)'),
    )
    .passThroughOptions();
  addShippingOptions(command).action(async (file: string, args: string[], flags: RunFlags) => {
    // The shipping code and the client load only once the command runs: `--help` and usage errors start faster.
    const { run } = await import('./run-action.js');
    await run(file, args, flags);
  });
}
