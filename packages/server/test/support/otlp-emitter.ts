import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The OpenTelemetry JS SDK logging to livelog in a process of its own (fixtures/otlp-emitter.mjs). */
export const OTLP_EMITTER = fileURLToPath(new URL('../fixtures/otlp-emitter.mjs', import.meta.url));
/** The same emitter without BigInt: the JSON exporter then sends times as JSON numbers, not strings. */
export const OTLP_EMITTER_NO_BIGINT = fileURLToPath(new URL('../fixtures/otlp-emitter-no-bigint.mjs', import.meta.url));

/**
 * Runs an emitter with `args` and resolves to `exit <code>`, followed by what it printed. The SDK
 * only logs failed exports, so `exit 0` alone is a run in which every export succeeded.
 */
export function runEmitter(emitter: string, args: readonly string[]): Promise<string> {
  const child = spawn(process.execPath, [emitter, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const collect = (chunk: Buffer): void => {
    output += chunk.toString();
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve(`exit ${code}${output === '' ? '' : `: ${output.slice(0, 2000)}`}`));
  });
}
