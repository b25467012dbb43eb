import { expect, test } from 'vitest';
import { type Batch, cutRefused } from './batch.js';

function batch(lines: number): Batch & { body: string } {
  const body = Array.from({ length: lines }, (_, i) => `{"msg":"${i + 1}"}\n`).join('');
  return {
    key: 'root~10-15',
    source: undefined,
    records: lines,
    bytes: body.length,
    body,
    first: 101,
    root: { key: 'root', ref: undefined, remaining: 20 },
    offset: 10,
    onDisk: false,
    persisted: Promise.resolve(),
  };
}

const summary = (pieces: Batch[]) =>
  pieces.map((p) => ({ key: p.key, first: p.first, records: p.records, refused: p.refused !== undefined }));

test('a bad line is refused alone; the lines around it are sent again under keys derived from the frame', () => {
  const pieces = cutRefused(batch(5), { kind: 'rejected', status: 400, message: 'bad level', line: 3 });
  expect(summary(pieces)).toEqual([
    { key: 'root~10-12', first: 101, records: 2, refused: false },
    { key: 'root~12-13', first: 103, records: 1, refused: true },
    { key: 'root~13-15', first: 104, records: 2, refused: false },
  ]);
  expect(pieces.map((p) => p.body)).toEqual(['{"msg":"1"}\n{"msg":"2"}\n', '{"msg":"3"}\n', '{"msg":"4"}\n{"msg":"5"}\n']);
});

test('a body too large is halved; anything else refuses the whole batch', () => {
  expect(summary(cutRefused(batch(5), { kind: 'rejected', status: 413, message: 'too large' }))).toEqual([
    { key: 'root~10-13', first: 101, records: 3, refused: false },
    { key: 'root~13-15', first: 104, records: 2, refused: false },
  ]);
  expect(summary(cutRefused(batch(5), { kind: 'rejected', status: 401, message: 'no token' }))).toEqual([
    { key: 'root~10-15', first: 101, records: 5, refused: true },
  ]);
  expect(summary(cutRefused(batch(1), { kind: 'rejected', status: 413, message: 'too large' }))).toEqual([
    { key: 'root~10-11', first: 101, records: 1, refused: true },
  ]);
});
