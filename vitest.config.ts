import { defineConfig } from 'vitest/config';

/**
 * Two projects: `unit` (tests beside the code, `packages/*\/src/**\/*.test.ts`) and `integration`
 * (tests that cross packages or run real processes, `packages/*\/test/**`). `npm test` runs both;
 * `npm run test:unit` and `npm run test:integration` one each.
 */
export default defineConfig({
  test: {
    exclude: ['**/node_modules/**', '**/dist/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default'],
    projects: [
      { extends: true, test: { name: 'unit', include: ['packages/*/src/**/*.test.ts'] } },
      { extends: true, test: { name: 'integration', include: ['packages/*/test/**/*.test.ts'] } },
    ],
  },
});
