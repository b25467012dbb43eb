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
 * The unit project runs its files without a fresh process each (`isolate: false`): most unit files
 * take milliseconds and their process start and imports cost more than their tests (85 small unit
 * files: 80 s isolated, 40 s not, with two workers). Unit tests keep no global state (no module
 * mocks, stubs, fake timers or env changes), so sharing a process changes nothing they check.
 * Integration files stay isolated: they start servers, browsers and child processes, and one file's
 * leftovers must not reach another.
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
      { extends: true, test: { name: 'unit', include: ['packages/*/src/**/*.test.ts'], isolate: false } },
      { extends: true, test: { name: 'integration', include: ['packages/*/test/**/*.test.ts'] } },
    ],
  },
});
