import { defineConfig } from 'vitest/config';

/**
 * Two projects: `unit` (tests beside the code, `packages/*\/src/**\/*.test.ts`) and `integration`
 * (tests that cross packages or run real processes, `packages/*\/test/**`). `npm test` runs both;
 * `npm run test:unit` and `npm run test:integration` one each.
 *
 * Two workers even on a 2-core machine: Vitest's default there is one (cores - 1), but most test
 * files spend their time waiting on child processes, Chromium and sockets, so a second file overlaps
 * them. Measured on 33 mixed files (load 6-13): 180 s with one worker, 105 s with two, 113 s with
 * three (more CPU contention, nothing gained).
 *
 * Every file gets its own process. Sharing one per worker for the unit files (`isolate: false`)
 * saved ~40 s, but a timer left by one file then fires during another: it found a real bug (the
 * upload linger's cut-off threw on Fastify inject()'s stand-in socket) and would turn any such
 * leftover into a failure of an unrelated file. Not worth 40 s.
 */
export default defineConfig({
  test: {
    exclude: ['**/node_modules/**', '**/dist/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default'],
    projects: [
      { extends: true, test: { name: 'unit', include: ['packages/*/src/**/*.test.ts'] } },
      { extends: true, test: { name: 'integration', include: ['packages/*/test/**/*.test.ts'] } },
    ],
  },
});
