import { expect, test } from 'vitest';
import { mapPinoRecord } from './map-pino-record.js';

const config = { messageKey: 'msg', errorKey: 'err' };

test('level numbers pass, labels become numbers when pino told its levels, seconds become ms', () => {
  expect(mapPinoRecord({ level: 30, time: 1_700_000_000_123, msg: 'hi', pid: 1 }, config)).toEqual({
    level: 30,
    time: 1_700_000_000_123,
    msg: 'hi',
    pid: 1,
  });
  expect(mapPinoRecord({ level: 'audit', time: 1_700_000_000, msg: 'x' }, { ...config, levelValues: { audit: 35 } })).toMatchObject({
    level: 35,
    time: 1_700_000_000_000,
  });
  expect(mapPinoRecord({ level: 'warn', time: '2026-01-01T00:00:00.000Z', msg: 'x' }, config)).toMatchObject({
    level: 'warn',
    time: '2026-01-01T00:00:00.000Z',
  });
});

test('source: the record, then the option, then pino name; the message falls back to the error', () => {
  expect(mapPinoRecord({ source: 'own', name: 'app', msg: 'a' }, { ...config, source: 'option' }).source).toBe('own');
  expect(mapPinoRecord({ name: 'app', msg: 'a' }, { ...config, source: 'option' }).source).toBe('option');
  expect(mapPinoRecord({ name: 'app', msg: 'a' }, config).source).toBe('app');
  expect(mapPinoRecord({ msg: 'a' }, config).source).toBeUndefined();
  const err = { type: 'Error', message: 'boom', stack: 'Error: boom\n    at x' };
  expect(mapPinoRecord({ err }, config)).toEqual({ msg: 'boom', err });
});

test('a custom messageKey is read; a binding called msg is kept under another key', () => {
  expect(mapPinoRecord({ text: 'the message', msg: 'a binding' }, { ...config, messageKey: 'text' })).toEqual({
    msg: 'the message',
    pinoMsg: 'a binding',
  });
});
