import { readFileSync } from 'node:fs';
import { ERROR_CODES } from '@livelog/protocol';
import { describe, expect, it } from 'vitest';

describe('error codes', () => {
  it('are all documented in docs/reference/errors.md with their status', () => {
    const page = readFileSync(new URL('../../../docs/reference/errors.md', import.meta.url), 'utf8');
    for (const [code, info] of Object.entries(ERROR_CODES)) {
      expect(page, code).toContain(`| \`${code}\` | ${info.status} |`);
    }
  });
});
