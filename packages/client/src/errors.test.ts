import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CLIENT_ERROR_CODES, LivelogClientError } from './errors.js';

describe('client error codes', () => {
  it('are named LIVELOG_CLIENT_ERR_* and documented in the reading-logs guide', () => {
    const guide = readFileSync(new URL('../../../docs/guides/reading-logs.md', import.meta.url), 'utf8');
    for (const code of Object.keys(CLIENT_ERROR_CODES)) {
      expect(code).toMatch(/^LIVELOG_CLIENT_ERR_[A-Z_]+$/);
      expect(guide, code).toMatch(new RegExp(`\\| \`${code}\` +\\|`));
    }
  });

  it('take their fatality from the registry unless told otherwise', () => {
    expect(new LivelogClientError('LIVELOG_CLIENT_ERR_UNAUTHORIZED', 'x').fatal).toBe(true);
    expect(new LivelogClientError('LIVELOG_CLIENT_ERR_NETWORK', 'x').fatal).toBe(false);
    expect(new LivelogClientError('LIVELOG_CLIENT_ERR_SERVER_CLOSED', 'x', { fatal: true }).fatal).toBe(true);
  });
});
