import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from './error-codes.js';

describe('error code registry', () => {
  it('names every code LIVELOG_ERR_<AREA>_<PROBLEM> with an HTTP status', () => {
    for (const [code, info] of Object.entries(ERROR_CODES)) {
      expect(code).toMatch(/^LIVELOG_ERR_[A-Z]+(_[A-Z]+)*$/);
      expect(info.status).toBeGreaterThanOrEqual(400);
      expect(info.status).toBeLessThan(600);
      expect(info.summary.length).toBeGreaterThan(5);
    }
  });
});
