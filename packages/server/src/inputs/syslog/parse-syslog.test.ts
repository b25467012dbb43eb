import { describe, expect, it } from 'vitest';
import { mapSyslog } from './map-syslog.js';
import { parseSyslog } from './parse-syslog.js';
import { SyslogFramer } from './syslog-framer.js';

const NOW = Date.parse('2026-12-05T21:00:00Z');

describe('parseSyslog', () => {
  it('reads RFC 5424 with structured data and escapes (RFC 5424 §6.5 example 3)', () => {
    const message = parseSyslog(
      '<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="App\\"li\\]c" eventID="1011"][examplePriority@32473 class="high"] \ufeffAn application event',
      NOW,
    );
    expect(message).toEqual({
      format: 'rfc5424',
      facility: 20,
      severity: 5,
      timestamp: '2003-10-11T22:14:15.003Z',
      time: Date.parse('2003-10-11T22:14:15.003Z'),
      hostname: 'mymachine.example.com',
      appName: 'evntslog',
      msgId: 'ID47',
      structuredData: {
        'exampleSDID@32473': { iut: '3', eventSource: 'App"li]c', eventID: '1011' },
        'examplePriority@32473': { class: 'high' },
      },
      msg: 'An application event',
    });
  });

  it('reads RFC 5424 with nil values and no message', () => {
    const message = parseSyslog('<14>1 - - - - - -', NOW);
    expect(message).toMatchObject({ format: 'rfc5424', facility: 1, severity: 6, msg: '' });
    expect(message.time).toBeUndefined();
  });

  it('refuses malformed RFC 5424 headers with a code', () => {
    for (const text of [
      '<14>1 yesterday host app - - - hi',
      '<14>1 2026-12-05T21:00:00Z host',
      '<14>1 - h a p m [bad hi',
      '<14>1 - h a p m x hi',
    ]) {
      expect(() => parseSyslog(text, NOW)).toThrow(expect.objectContaining({ code: 'LIVELOG_ERR_SYSLOG_BAD_MESSAGE' }));
    }
  });

  it('refuses frames without a PRI', () => {
    for (const text of ['hello', '<192>x', '<01>x', '<>x', '\u0000\u0001garbage']) {
      expect(() => parseSyslog(text, NOW)).toThrow(expect.objectContaining({ code: 'LIVELOG_ERR_SYSLOG_BAD_FRAME' }));
    }
  });

  it('reads RFC 3164 with and without hostname and pid', () => {
    expect(parseSyslog("<34>Oct 11 22:14:15 mymachine su[123]: 'su root' failed", NOW)).toMatchObject({
      format: 'rfc3164',
      facility: 4,
      severity: 2,
      hostname: 'mymachine',
      appName: 'su',
      procId: '123',
      msg: "'su root' failed",
    });
    expect(parseSyslog('<13>Dec  5 20:59:00 cron: job ran', NOW)).toMatchObject({ appName: 'cron', msg: 'job ran' });
    expect(parseSyslog('<13>no header at all', NOW)).toMatchObject({ msg: 'no header at all' });
  });

  it('reads an RFC 3339 timestamp in RFC 3164 (rsyslog RSYSLOG_ForwardFormat)', () => {
    expect(parseSyslog('<163>2026-12-07T18:09:03.336149+02:00 vm myapp[7]: hello', NOW)).toMatchObject({
      format: 'rfc3164',
      time: Date.parse('2026-12-07T16:09:03.336Z'),
      timestamp: '2026-12-07T18:09:03.336149+02:00',
      hostname: 'vm',
      appName: 'myapp',
      procId: '7',
      msg: 'hello',
    });
    expect(parseSyslog('<14>2026-12-07T18:09:03Z cron: job ran', NOW)).toMatchObject({
      time: Date.parse('2026-12-07T18:09:03Z'),
      appName: 'cron',
      msg: 'job ran',
    });
  });

  it('ends an RFC 3164 TAG after a timestamp at a space too, as rsyslog forwards RFC 5424 messages', () => {
    expect(parseSyslog('<13>Dec  7 18:09:03 vm myapp[12] hello there', NOW)).toMatchObject({
      hostname: 'vm',
      appName: 'myapp',
      procId: '12',
      msg: 'hello there',
    });
    expect(parseSyslog('<13>Dec  7 18:09:03 vm myapp hello', NOW)).toMatchObject({ hostname: 'vm', appName: 'myapp', msg: 'hello' });
    // Without a header only `tag:` is a tag.
    expect(parseSyslog('<13>free text here', NOW)).toMatchObject({ msg: 'free text here' });
    expect(parseSyslog('<13>free text here', NOW).appName).toBeUndefined();
  });

  it('gives RFC 3164 times the year nearest to now', () => {
    const january = new Date(2027, 0, 1, 0, 5).getTime();
    expect(new Date(parseSyslog('<13>Dec 31 23:59:00 h app: x', january).time as number).getFullYear()).toBe(2026);
  });
});

describe('mapSyslog', () => {
  it('maps severity, source and fields, and applies the clock-skew rule', () => {
    const future = parseSyslog('<11>1 2099-01-01T00:00:00Z host app 42 MID [a b="c"] boom', NOW);
    const entry = mapSyslog(future, false, { now: NOW, maxFutureSkewMs: 86_400_000 });
    expect(entry).toEqual({
      time: NOW,
      level: 'error',
      source: 'app',
      msg: 'boom',
      fields: {
        facility: 'user',
        severity: 'err',
        hostname: 'host',
        procid: '42',
        msgid: 'MID',
        a: { b: 'c' },
        originalTime: '2099-01-01T00:00:00Z',
      },
    });
    expect(mapSyslog(parseSyslog('<8>x', NOW), true, { now: NOW, maxFutureSkewMs: 0 })).toMatchObject({
      level: 'fatal',
      source: 'syslog',
      invalidUtf8: true,
    });
  });
});

describe('SyslogFramer', () => {
  function frames(chunks: string[], max = 64): string[] {
    const out: string[] = [];
    const framer = new SyslogFramer({ frame: (bytes) => out.push(bytes.toString()), skipped: (error) => out.push(`!${error.code}`) }, max);
    for (const chunk of chunks) framer.push(Buffer.from(chunk));
    return out;
  }

  it('mixes octet counting and newline framing, across chunk boundaries', () => {
    expect(frames(['5 <1>ab<2>c', 'd\r\n', '\n3 <3>4', ' <4>x'])).toEqual(['<1>ab', '<2>cd', '<3>', '<4>x']);
  });

  it('skips oversized and malformed frames and stays in step', () => {
    expect(frames([`100 ${'x'.repeat(100)}<1>ok\n`, `${'y'.repeat(70)}`, 'z\n<2>next\n', '99999999999 bad\n<3>after\n'], 64)).toEqual([
      '!LIVELOG_ERR_SYSLOG_FRAME_TOO_LONG',
      '<1>ok',
      '!LIVELOG_ERR_SYSLOG_FRAME_TOO_LONG',
      '<2>next',
      '!LIVELOG_ERR_SYSLOG_BAD_FRAME',
      '<3>after',
    ]);
  });
});
