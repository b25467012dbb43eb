import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

// Issue 9, item 10: the React JSX typings shipped as `@livelog/console/react` type <livelog-console>'s
// properties and events, and refuse wrong ones (each `@ts-expect-error` in the fixture must be needed).
describe('@livelog/console/react', () => {
  it('types <livelog-console> in TSX: a correct use compiles, wrong values and details do not', async () => {
    const project = fileURLToPath(new URL('./types/tsconfig.json', import.meta.url));
    const result = await promisify(execFile)(process.execPath, [tscPath(), '-p', project]).then(
      () => ({ code: 0, stdout: '' }),
      (error: { code: number; stdout: string }) => error,
    );
    expect(result.stdout).toBe('');
    expect(result.code).toBe(0);
  }, 60_000);
});

function tscPath(): string {
  return fileURLToPath(import.meta.resolve('typescript/bin/tsc'));
}
