import { describe, expect, it } from 'vitest';
import { endOfExit } from '../ingest/stream-end.js';
import { describeEnd, exitCodeOfEnd } from './tail-stream.js';

describe('tail --stream: the exit code and last line after the end', () => {
  it('keeps 0..255, maps everything else that is not 0 to 255, and a reason-only end to 0', () => {
    const cases: [number | undefined, number][] = [
      [0, 0],
      [3, 3],
      [255, 255],
      [256, 255],
      [2 ** 31 - 1, 255],
      [-1, 255],
      [-(2 ** 31), 255],
      [undefined, 0],
    ];
    for (const [exitCode, expected] of cases) {
      expect(exitCodeOfEnd({ time: 1, ...(exitCode === undefined ? {} : { exitCode }), reason: 'r' }), String(exitCode)).toBe(expected);
    }
  });

  it('says how the stream ended', () => {
    expect(describeEnd('build-1', { time: 1, exitCode: 3 })).toBe('stream build-1 ended · exit 3');
    expect(describeEnd('job', { time: 1, exitCode: 143, reason: 'signal SIGTERM' })).toBe('stream job ended · exit 143 (signal SIGTERM)');
    expect(describeEnd('job', { time: 1, reason: 'end of input' })).toBe('stream job ended (end of input)');
    expect(describeEnd('job', { time: 1 })).toBe('stream job ended');
  });

  it('run ends a stream with the exit code, or 128 + n and the signal for a killed command', () => {
    expect(endOfExit({ code: 0, signal: null })).toEqual({ exitCode: 0 });
    expect(endOfExit({ code: 3, signal: null })).toEqual({ exitCode: 3 });
    expect(endOfExit({ code: null, signal: 'SIGTERM', signalNumber: 15 })).toEqual({ exitCode: 143, reason: 'signal SIGTERM' });
    expect(endOfExit({ code: null, signal: null })).toEqual({ reason: 'no exit code' });
  });
});
