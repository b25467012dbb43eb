import { postLogs, postStreamLogs, startServer, type TestServer } from '@livelog/test-utils';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runCli } from './tail-support.js';

// Regression: -i/-e/-H compiled without the `u` flag the console uses, so `\p{Lu}` matched the text
// "p{Lu}" and `.` took half an emoji (a highlight cut the pair in two); `\:` must still work.
let server: TestServer;
beforeAll(async () => {
  server = await startServer();
  await postLogs(server.url, 'Ärger 1\nanger 2\nx:y 3\n😀 smile\n', 'text/plain');
});
afterAll(() => server.close());

async function tail(args: string[]): Promise<string> {
  const run = runCli(['tail', server.url, '--no-follow', '-n', 'all', '-o', 'raw', ...args]);
  expect((await run.exited).code).toBe(0);
  return run.stdout();
}

it('reads -i and -e as the console does: with u, and without it for a pattern only valid so', async () => {
  expect(await tail(['-i', '^\\p{Lu}'])).toBe('Ärger 1\n');
  expect(await tail(['-i', '^.\\s'])).toBe('😀 smile\n');
  expect(await tail(['-i', 'x\\:y'])).toBe('x:y 3\n');
  expect(await tail(['-e', '\\p{Lu}|\\p{Emoji_Presentation}'])).toBe('anger 2\nx:y 3\n');
});

it('highlights a whole emoji with -H', async () => {
  expect(await tail(['-i', 'smile', '--color', 'always', '-H', '^.'])).toBe('\x1b[7m\x1b[1m😀\x1b[22m\x1b[27m smile\n');
});

// Regression: the -H patterns, and a search's terms, were OR-ed into one RegExp with one set of flags:
// `u` for all or for none, so `\p{Lu}` next to a pattern valid only without `u` (`\:`) matched the
// text "p{Lu}"; and search terms had no `u`, so `𐐀` did not color the `𐐨` the server had matched.
it('highlights each -H pattern with its own flags, \\p{Lu} next to \\:', async () => {
  const out = await tail(['--color', 'always', '-H', '\\p{Lu}', '-H', 'x\\:y', '-i', 'Ä|x']);
  expect(out).toBe('\x1b[7m\x1b[1mÄ\x1b[22m\x1b[27mrger 1\n\x1b[7m\x1b[1mx:y\x1b[22m\x1b[27m 3\n');
});

it('colors a search term case-insensitively over astral letters, as the server matched it', async () => {
  await postStreamLogs(server.url, 'deseret', '𐐨𐐯 lower\n', { 'content-type': 'text/plain' });
  const run = runCli(['search', server.url, '--stream', 'deseret', '--color', 'always', '-o', 'raw', '𐐀𐐇']);
  expect([(await run.exited).code, run.stderr()]).toEqual([0, '']);
  expect(run.stdout()).toBe('\x1b[7m\x1b[1m𐐨𐐯\x1b[22m\x1b[27m lower\n');
});
