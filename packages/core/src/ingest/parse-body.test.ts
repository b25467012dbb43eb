import { afterEach, describe, expect, it, vi } from 'vitest';
import { type ParseBodyOptions, parseBody } from './parse-body.js';

/** Receive time: after every producer time the tests send, so none is clamped as from the future. */
const NOW = Date.UTC(2025, 0, 1);
const defaults = { source: 'app', level: 'info' as const, now: NOW };
const ndjson = (text: string) => parseBody(Buffer.from(text), { format: 'ndjson', defaults });
const text = (body: string | Buffer, extra: Partial<Omit<ParseBodyOptions, 'format' | 'defaults'>> = {}) =>
  parseBody(Buffer.isBuffer(body) ? body : Buffer.from(body), { format: 'text', defaults, ...extra });

describe('parseBody', () => {
  it('reads NDJSON records: msg or message, level names and pino numbers, ms and ISO times, source, fields', () => {
    const entries = ndjson(
      [
        '{"msg":"a","level":"warn","time":5,"source":"web","user":7}',
        '{"message":"b","level":50,"time":"2024-05-01T12:00:00.250Z"}',
        '{"level":30,"time":1714564800000,"pid":1,"hostname":"h","msg":"pino","v":1}',
        '{"msg":"both","message":"kept as a field"}',
        '',
        '{"msg":"crlf"}\r',
      ].join('\n'),
    );
    expect(entries).toEqual([
      { time: 5, level: 'warn', source: 'web', msg: 'a', fields: { user: 7 } },
      { time: Date.parse('2024-05-01T12:00:00.250Z'), level: 'error', source: 'app', msg: 'b' },
      { time: 1714564800000, level: 'info', source: 'app', msg: 'pino', fields: { pid: 1, hostname: 'h', v: 1 } },
      { time: NOW, level: 'info', source: 'app', msg: 'both', fields: { message: 'kept as a field' } },
      { time: NOW, level: 'info', source: 'app', msg: 'crlf' },
    ]);
  });

  // Regression: a body starting with a UTF-8 byte order mark (Notepad, PowerShell 5) was refused as
  // JSON (400 MALFORMED_JSON) and, as text, kept U+FEFF in front of the first line, hiding its record,
  // level or time.
  it('drops a UTF-8 byte order mark at the start of the body, whatever the format', () => {
    const bom = (body: string) => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(body)]);
    const cases: [ParseBodyOptions['format'], string][] = [
      ['ndjson', '{"msg":"first","level":"warn"}\n{"msg":"second"}\n'],
      ['json', '[{"msg":"first","level":"warn"},{"msg":"second"}]'],
      ['text', '{"msg":"first","level":"warn"}\nsecond\n'],
      ['text', '2024-05-01T12:00:00Z [WARN] first\nsecond'],
    ];
    for (const [format, body] of cases) {
      const entries = parseBody(bom(body), { format, defaults, multiline: false });
      expect(
        entries.map(({ msg, level }) => ({ msg: msg.replace(/^.*\] /, ''), level })),
        `${format}: ${body}`,
      ).toEqual([
        { msg: 'first', level: 'warn' },
        { msg: 'second', level: 'info' },
      ]);
    }
    expect(parseBody(bom('2024-05-01T12:00:00Z boot'), { format: 'text', defaults })[0]?.time).toBe(Date.parse('2024-05-01T12:00:00Z'));
    // Only at the start: further in, U+FEFF is text like any other.
    expect(parseBody(bom('a\n\ufeffb'), { format: 'text', defaults, multiline: false }).map((entry) => entry.msg)).toEqual([
      'a',
      '\ufeffb',
    ]);
  });

  it('accepts level aliases in any case and custom pino numbers', () => {
    const levels = ndjson(
      ['WARNING', 'Err', 'critical', 'verbose', 'silly', '35', 'notice'].map((level) => JSON.stringify({ level })).join('\n'),
    ).map((entry) => entry.level);
    expect(levels).toEqual(['warn', 'error', 'fatal', 'debug', 'trace', 'info', 'info']);
  });

  it('reads a JSON object or an array of objects', () => {
    expect(parseBody(Buffer.from('{"msg":"one"}'), { format: 'json', defaults })).toHaveLength(1);
    expect(parseBody(Buffer.from('[{"msg":"a"},{"msg":"b"}]'), { format: 'json', defaults }).map((entry) => entry.msg)).toEqual(['a', 'b']);
  });

  it('keeps text lines byte-exact and recognises their levels', () => {
    const body = '[ERROR] boom\nlevel=warn disk\nWARN: low\n\tindented\ncarriage\rreturn\n\u001b[31mERROR\u001b[0m red\n\nlast';
    const entries = text(body, { multiline: false });
    // Grouped (the default), the indented line joins the warning before it.
    expect(text(body).map((entry) => entry.msg)).toEqual([
      '[ERROR] boom',
      'level=warn disk',
      'WARN: low\n\tindented',
      'carriage\rreturn',
      '\u001b[31mERROR\u001b[0m red',
      '',
      'last',
    ]);
    expect(entries.map((entry) => [entry.msg, entry.level])).toEqual([
      ['[ERROR] boom', 'error'],
      ['level=warn disk', 'warn'],
      ['WARN: low', 'warn'],
      ['\tindented', 'info'],
      ['carriage\rreturn', 'info'],
      ['\u001b[31mERROR\u001b[0m red', 'error'],
      ['', 'info'],
      ['last', 'info'],
    ]);
  });

  it('reads a JSON object line in a text body as a record (pino output piped in)', () => {
    expect(text('{"level":50,"msg":"from pino","time":7}\nplain')).toEqual([
      { time: 7, level: 'error', source: 'app', msg: 'from pino' },
      { time: NOW, level: 'info', source: 'app', msg: 'plain' },
    ]);
  });

  it('does not guess levels when the caller named one', () => {
    expect(text('[ERROR] boom', { levelGiven: true })[0]?.level).toBe('info');
  });

  it('replaces invalid UTF-8 with U+FFFD and marks only the lines that held it', () => {
    const body = Buffer.concat([Buffer.from('good\nbad '), Buffer.from([0xff, 0xfe]), Buffer.from(' byte\nfine ü')]);
    const entries = text(body);
    expect(entries.map((entry) => [entry.msg, entry.invalidUtf8 ?? false])).toEqual([
      ['good', false],
      ['bad \ufffd\ufffd byte', true],
      ['fine ü', false],
    ]);
  });

  it('groups a stack trace into one entry with the level of its first line, JSON lines and limits aside', () => {
    const trace = ['2024-05-01 12:00:00.456 ERROR [main] App - load failed', 'java.lang.IllegalStateException: x', '\tat A.b(A.java:1)'];
    const entries = text([...trace, '{"msg":"record","level":"warn"}', '\tat C.d(C.java:2)', 'next'].join('\n'));
    expect(entries.map((entry) => [entry.msg, entry.level])).toEqual([
      [trace.join('\n'), 'error'],
      ['record', 'warn'],
      ['\tat C.d(C.java:2)', 'info'],
      ['next', 'info'],
    ]);
    // A group stays within the message limit, so it is never cut into parts.
    const frames = Array.from({ length: 40 }, (_, i) => `\tat a.B.m${i}(B.java:${i})`);
    const small = text(['ERROR failed', ...frames].join('\n'), { limits: { maxMessageBytes: 200 } });
    expect(small.length).toBeGreaterThan(1);
    expect(small.every((entry) => entry.part === undefined && Buffer.byteLength(entry.msg) <= 200)).toBe(true);
    expect(small.flatMap((entry) => entry.msg.split('\n'))).toEqual(['ERROR failed', ...frames]);
  });

  it('gives a text line the time it starts with and keeps the receive time in fields.receivedAt, unless asked not to', () => {
    const now = Date.UTC(2024, 4, 2);
    const body = '2024-05-01T12:00:00.250Z INFO up\n10.0.0.1 - - [01/May/2024:12:00:01 +0000] "GET / HTTP/1.1" 200 5\nno time\n';
    const defaultsNow = { ...defaults, now };
    expect(parseBody(Buffer.from(body), { format: 'text', defaults: defaultsNow }).map(({ time, fields }) => ({ time, fields }))).toEqual([
      { time: Date.UTC(2024, 4, 1, 12, 0, 0, 250), fields: { receivedAt: now } },
      { time: Date.UTC(2024, 4, 1, 12, 0, 1), fields: { receivedAt: now } },
      { time: now, fields: undefined },
    ]);
    const received = parseBody(Buffer.from(body), { format: 'text', defaults: defaultsNow, time: 'received', multiline: false });
    expect(received.map(({ time, fields }) => ({ time, fields }))).toEqual([0, 1, 2].map(() => ({ time: now, fields: undefined })));
  });

  it('keeps NUL and other control characters in text', () => {
    expect(text('a\u0000b\u0007c')[0]?.msg).toBe('a\u0000b\u0007c');
  });

  it('splits a message longer than the limit into marked parts, on character boundaries', () => {
    const msg = 'é'.repeat(10);
    const entries = parseBody(Buffer.from(JSON.stringify({ msg, user: 1 })), {
      format: 'json',
      defaults,
      limits: { maxMessageBytes: 7 },
    });
    expect(entries.map((entry) => entry.msg)).toEqual(['ééé', 'ééé', 'ééé', 'é']);
    expect(entries.map((entry) => entry.part)).toEqual([1, 2, 3, 4].map((index) => ({ index, count: 4 })));
    expect(entries[0]?.fields).toEqual({ user: 1 });
    expect(entries[1]?.fields).toBeUndefined();
    expect(entries.map((entry) => entry.msg).join('')).toBe(msg);
  });

  it('names a refused source character as an escape, never as itself', () => {
    expect(() => ndjson('{"source":"a\\u202eb"}')).toThrow(expect.objectContaining({ message: expect.stringContaining('"a\\u202eb"') }));
  });

  it('accepts sources in any script, with emoji and symbols', () => {
    const sources = ['api', 'Zürich-1', 'сервис', '服务', 'café ☕', 'a🚀b', 'x.y/z:1'];
    expect(ndjson(sources.map((source) => JSON.stringify({ source })).join('\n')).map((entry) => entry.source)).toEqual(sources);
  });

  it('keeps a "__proto__" key as data', () => {
    const [entry] = ndjson('{"msg":"x","__proto__":{"polluted":true}}');
    expect(Object.hasOwn(entry?.fields ?? {}, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it.each([
    ['', 'LIVELOG_ERR_INGEST_EMPTY', undefined],
    ['\n\n  \n', 'LIVELOG_ERR_INGEST_EMPTY', undefined],
    ['{"msg":"ok"}\n{bad json', 'LIVELOG_ERR_INGEST_MALFORMED_JSON', 2],
    ['{"msg":"ok"}\n[1,2]', 'LIVELOG_ERR_INGEST_NOT_AN_OBJECT', 2],
    ['"just a string"', 'LIVELOG_ERR_INGEST_NOT_AN_OBJECT', 1],
    ['null', 'LIVELOG_ERR_INGEST_NOT_AN_OBJECT', 1],
    ['{"level":"loud"}', 'LIVELOG_ERR_INGEST_BAD_LEVEL', 1],
    ['{"level":true}', 'LIVELOG_ERR_INGEST_BAD_LEVEL', 1],
    ['{"level":-5}', 'LIVELOG_ERR_INGEST_BAD_LEVEL', 1],
    ['{"time":"yesterday"}', 'LIVELOG_ERR_INGEST_BAD_TIME', 1],
    ['{"time":-1}', 'LIVELOG_ERR_INGEST_BAD_TIME', 1],
    ['{"time":1e20}', 'LIVELOG_ERR_INGEST_BAD_TIME', 1],
    ['{"time":"2024-13-45T99:99:99Z"}', 'LIVELOG_ERR_INGEST_BAD_TIME', 1],
    ['{"source":""}', 'LIVELOG_ERR_INGEST_BAD_SOURCE', 1],
    ['{"source":"a\\nb"}', 'LIVELOG_ERR_INGEST_BAD_SOURCE', 1],
    ['{"source":42}', 'LIVELOG_ERR_INGEST_BAD_SOURCE', 1],
    // Regression (issue 11, item 7): characters that rewrite terminals, reorder text, break lines in
    // JavaScript, or cannot be stored as UTF-8 the same way in the entry and in /api/sources.
    ['{"source":"a\\u0085b"}', 'LIVELOG_ERR_INGEST_BAD_SOURCE', 1],
    ['{"source":"a\\u009b31mb"}', 'LIVELOG_ERR_INGEST_BAD_SOURCE', 1],
    ['{"source":"evil\\u202etxt.exe"}', 'LIVELOG_ERR_INGEST_BAD_SOURCE', 1],
    ['{"source":"a\\u2066b\\u2069"}', 'LIVELOG_ERR_INGEST_BAD_SOURCE', 1],
    ['{"source":"a\\u200fb"}', 'LIVELOG_ERR_INGEST_BAD_SOURCE', 1],
    ['{"source":"a\\u2028b"}', 'LIVELOG_ERR_INGEST_BAD_SOURCE', 1],
    ['{"source":"a\\u2029b"}', 'LIVELOG_ERR_INGEST_BAD_SOURCE', 1],
    ['{"source":"a\\ufeffb"}', 'LIVELOG_ERR_INGEST_BAD_SOURCE', 1],
    ['{"source":"lone \\ud800"}', 'LIVELOG_ERR_INGEST_BAD_SOURCE', 1],
    ['{"source":"\\udc00 lone"}', 'LIVELOG_ERR_INGEST_BAD_SOURCE', 1],
    [`{"msg":"x","deep":${'['.repeat(40)}${']'.repeat(40)}}`, 'LIVELOG_ERR_INGEST_TOO_DEEP', 1],
  ])('rejects %j with %s at line %s', (body, code, line) => {
    expect(() => ndjson(body)).toThrow(expect.objectContaining({ code, line }));
  });

  it('rejects a line longer than the line limit, naming it', () => {
    const body = Buffer.from(`{"msg":"ok"}\n{"msg":"${'x'.repeat(200)}"}\n`);
    expect(() => parseBody(body, { format: 'ndjson', defaults, limits: { maxLineBytes: 100 } })).toThrow(
      expect.objectContaining({ code: 'LIVELOG_ERR_INGEST_LINE_TOO_LONG', line: 2 }),
    );
  });

  it('rejects a batch with more entries than the limit', () => {
    expect(() => parseBody(Buffer.from('a\nb\nc'), { format: 'text', defaults, limits: { maxEntries: 2 } })).toThrow(
      expect.objectContaining({ code: 'LIVELOG_ERR_INGEST_TOO_MANY_ENTRIES' }),
    );
  });

  it('survives a record nested 100,000 levels deep', () => {
    const deep = `{"msg":"x","a":${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
    expect(() => ndjson(deep)).toThrow(expect.objectContaining({ code: expect.stringMatching(/TOO_DEEP|MALFORMED/) }));
  });
});

describe('parseBody nesting, checked before parsing (regression: issue 11, item 2)', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('refuses a JSON body of 8 million nested brackets without handing it to JSON.parse', () => {
    const parse = vi.spyOn(JSON, 'parse');
    const body = Buffer.alloc(16 * 1024 * 1024, '[');
    body.fill(']', 8 * 1024 * 1024);
    expect(() => parseBody(body, { format: 'json', defaults })).toThrow(
      expect.objectContaining({ code: 'LIVELOG_ERR_INGEST_TOO_DEEP', line: 1 }),
    );
    expect(parse).not.toHaveBeenCalled();
  });

  it('refuses a deep NDJSON line without parsing it, after parsing the good lines before it', () => {
    const parse = vi.spyOn(JSON, 'parse');
    const deep = `{"msg":"x","a":${'['.repeat(500_000)}${']'.repeat(500_000)}}`;
    expect(() => ndjson(`{"msg":"ok"}\n${deep}\n`)).toThrow(expect.objectContaining({ code: 'LIVELOG_ERR_INGEST_TOO_DEEP', line: 2 }));
    expect(parse).toHaveBeenCalledTimes(1);
  });

  it('counts depth like the parsed value: brackets inside strings and after escapes do not count', () => {
    const at = (depth: number) => `${'{"a":'.repeat(depth - 1)}{"s":"[[[{{{\\"[[["}${'}'.repeat(depth - 1)}`;
    expect(ndjson(at(32))).toHaveLength(1);
    expect(() => ndjson(at(33))).toThrow(expect.objectContaining({ code: 'LIVELOG_ERR_INGEST_TOO_DEEP' }));
    const arrays = (depth: number) => `[{"msg":"x","a":${'['.repeat(depth - 1)}${']'.repeat(depth - 1)}}]`;
    expect(parseBody(Buffer.from(arrays(32)), { format: 'json', defaults })).toHaveLength(1);
    expect(() => parseBody(Buffer.from(arrays(33)), { format: 'json', defaults })).toThrow(
      expect.objectContaining({ code: 'LIVELOG_ERR_INGEST_TOO_DEEP', line: 1 }),
    );
  });

  it('names the element of a JSON array that nests too deep', () => {
    const body = `[{"msg":"a"}, {"msg":"b,[{"}, {"msg":"c","x":${'['.repeat(40)}${']'.repeat(40)}}]`;
    expect(() => parseBody(Buffer.from(body), { format: 'json', defaults })).toThrow(
      expect.objectContaining({ code: 'LIVELOG_ERR_INGEST_TOO_DEEP', line: 3 }),
    );
  });

  it('keeps a text line too deep to be a record as text, unparsed', () => {
    const parse = vi.spyOn(JSON, 'parse');
    const line = `{"msg":${'['.repeat(100)}`;
    expect(text(`${line}\nnext`).map((entry) => entry.msg)).toEqual([line, 'next']);
    expect(parse).not.toHaveBeenCalled();
  });
});

describe('parseBody line limits', () => {
  // Regression (issue 11, item 4): application/json bodies skipped the line limit.
  it('applies the line limit to each record of a JSON body', () => {
    const limits = { maxLineBytes: 100 };
    const big = JSON.stringify({ msg: 'y', pad: 'z'.repeat(200) });
    expect(() => parseBody(Buffer.from(`[{"msg":"ok"}, ${big}]`), { format: 'json', defaults, limits })).toThrow(
      expect.objectContaining({ code: 'LIVELOG_ERR_INGEST_LINE_TOO_LONG', line: 2 }),
    );
    expect(() => parseBody(Buffer.from(big), { format: 'json', defaults, limits })).toThrow(
      expect.objectContaining({ code: 'LIVELOG_ERR_INGEST_LINE_TOO_LONG', line: 1 }),
    );
    const fits = JSON.stringify({ msg: 'é'.repeat(40) });
    expect(parseBody(Buffer.from(`[ ${fits} ,\n ${fits} ]`), { format: 'json', defaults, limits })).toHaveLength(2);
    expect(() => parseBody(Buffer.from(JSON.stringify({ msg: 'é'.repeat(60) })), { format: 'json', defaults, limits })).toThrow(
      expect.objectContaining({ code: 'LIVELOG_ERR_INGEST_LINE_TOO_LONG', line: 1 }),
    );
  });

  it('splits a long message of a JSON body into parts like any other', () => {
    const entries = parseBody(Buffer.from(JSON.stringify([{ msg: 'a'.repeat(50) }])), {
      format: 'json',
      defaults,
      limits: { maxMessageBytes: 20 },
    });
    expect(entries.map((entry) => [entry.msg.length, entry.part])).toEqual([
      [20, { index: 1, count: 3 }],
      [20, { index: 2, count: 3 }],
      [10, { index: 3, count: 3 }],
    ]);
  });

  it('refuses a JSON array with more elements than the batch limit before parsing it', () => {
    const parse = vi.spyOn(JSON, 'parse');
    expect(() => parseBody(Buffer.from(`[${'1,'.repeat(10)}1]`), { format: 'json', defaults, limits: { maxEntries: 10 } })).toThrow(
      expect.objectContaining({ code: 'LIVELOG_ERR_INGEST_TOO_MANY_ENTRIES' }),
    );
    expect(parse).not.toHaveBeenCalled();
    parse.mockRestore();
  });

  it('counts the limit in UTF-8 bytes, not characters', () => {
    const body = Buffer.from(`ok\n${'é'.repeat(60)}\n`);
    expect(() => parseBody(body, { format: 'text', defaults, limits: { maxLineBytes: 100 } })).toThrow(
      expect.objectContaining({ code: 'LIVELOG_ERR_INGEST_LINE_TOO_LONG', line: 2 }),
    );
    expect(parseBody(Buffer.from(`${'é'.repeat(50)}\n`), { format: 'text', defaults, limits: { maxLineBytes: 100 } })).toHaveLength(1);
  });
});

describe('parseBody producer times (regression: issue 11, item 3)', () => {
  const now = Date.UTC(2025, 0, 1);
  const day = 86_400_000;
  const parse = (body: string, limits = {}) =>
    parseBody(Buffer.from(body), { format: 'ndjson', defaults: { source: 'app', level: 'info', now }, limits });

  it('replaces a time more than the skew ahead with the receive time, keeping the original in fields.originalTime', () => {
    const entries = parse(
      [
        '{"msg":"9999","time":"9999-12-31T23:59:59Z","user":1}',
        `{"msg":"ms","time":${now + day + 1}}`,
        `{"msg":"at the limit","time":${now + day}}`,
        `{"msg":"past","time":${now - 365 * day}}`,
      ].join('\n'),
    );
    expect(entries).toEqual([
      { time: now, level: 'info', source: 'app', msg: '9999', fields: { user: 1, originalTime: '9999-12-31T23:59:59Z' } },
      { time: now, level: 'info', source: 'app', msg: 'ms', fields: { originalTime: now + day + 1 } },
      { time: now + day, level: 'info', source: 'app', msg: 'at the limit' },
      { time: now - 365 * day, level: 'info', source: 'app', msg: 'past' },
    ]);
  });

  it('takes the skew from the limits, in JSON bodies and JSON lines of text too', () => {
    expect(parse(`{"time":${now + 1001}}`, { maxFutureSkewMs: 1000 })[0]).toMatchObject({
      time: now,
      fields: { originalTime: now + 1001 },
    });
    expect(parse(`{"time":${now + 1000}}`, { maxFutureSkewMs: 1000 })[0]).toMatchObject({ time: now + 1000 });
    const json = parseBody(Buffer.from(`[{"time":${now + 2 * day}}]`), { format: 'json', defaults: { source: 'a', level: 'info', now } });
    expect(json[0]).toMatchObject({ time: now, fields: { originalTime: now + 2 * day } });
    const text = parseBody(Buffer.from(`{"time":${now + 2 * day},"msg":"piped"}`), {
      format: 'text',
      defaults: { source: 'a', level: 'info', now },
    });
    expect(text[0]).toMatchObject({ time: now, msg: 'piped', fields: { originalTime: now + 2 * day } });
  });
});

describe('parseBody marks from shippers', () => {
  it('keeps a valid part and invalidUtf8 as the entry marks, anything else as fields', () => {
    const entries = ndjson(
      [
        '{"msg":"a","part":{"index":2,"count":3},"invalidUtf8":true}',
        '{"msg":"b","part":"engine","invalidUtf8":"yes"}',
        '{"msg":"c","part":{"index":4,"count":3}}',
      ].join('\n'),
    );
    expect(entries[0]).toMatchObject({ msg: 'a', part: { index: 2, count: 3 }, invalidUtf8: true });
    expect(entries[0]?.fields).toBeUndefined();
    expect(entries[1]?.fields).toEqual({ part: 'engine', invalidUtf8: 'yes' });
    expect(entries[1]?.part).toBeUndefined();
    expect(entries[2]?.fields).toEqual({ part: { index: 4, count: 3 } });
  });
});
