import { LEVEL } from 'triple-beam';
import { expect, test } from 'vitest';
import { mapWinstonInfo } from './map-winston-info.js';

test('npm and syslog levels map; the raw level wins over a colourised one; custom levels are kept', () => {
  const level = (raw: string, shown = raw) => mapWinstonInfo({ level: shown, [LEVEL]: raw, message: 'm' });
  expect(['silly', 'verbose', 'http', 'warning', 'crit', 'emerg'].map((raw) => level(raw).level)).toEqual([
    'trace',
    'debug',
    'info',
    'warn',
    'fatal',
    'fatal',
  ]);
  expect(level('error', '\x1b[31merror\x1b[39m').level).toBe('error');
  expect(level('audit')).toMatchObject({ level: 'info', winstonLevel: 'audit' });
});

test('timestamp becomes time; metadata becomes fields; Error values keep type, message and stack', () => {
  const error = new RangeError('too far');
  const record = mapWinstonInfo({
    level: 'info',
    [LEVEL]: 'info',
    message: 'm',
    timestamp: '2026-01-01T00:00:00.000Z',
    cause: error,
    n: 1,
  });
  expect(record).toEqual({
    level: 'info',
    msg: 'm',
    time: Date.parse('2026-01-01T00:00:00.000Z'),
    n: 1,
    cause: { type: 'RangeError', message: 'too far', stack: error.stack },
  });
});

test('source: the info, then the option, then service', () => {
  const info = { level: 'info', [LEVEL]: 'info', message: 'm', service: 'billing' };
  expect(mapWinstonInfo({ ...info, source: 'own' }, { source: 'option' }).source).toBe('own');
  expect(mapWinstonInfo(info, { source: 'option' }).source).toBe('option');
  expect(mapWinstonInfo(info).source).toBe('billing');
});
