import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { expect, it } from 'vitest';

it('the main entry bundles for browsers with no Node built-in (Node-only code lives behind subpaths)', async () => {
  const result = await build({
    entryPoints: [fileURLToPath(new URL('../src/index.ts', import.meta.url))],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const inputs = Object.keys(result.metafile.inputs);
  expect(inputs.filter((input) => input.startsWith('node:') || /(^|\/)node_modules\/@types\/node\//.test(input))).toEqual([]);
  expect(inputs.some((input) => input.endsWith('open-stream.ts'))).toBe(true);
});
