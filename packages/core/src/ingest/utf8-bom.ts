/** What Notepad and Windows PowerShell 5 (`Out-File -Encoding utf8`) write at the start of a UTF-8 file. */
const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/**
 * `body` without the UTF-8 byte order mark it starts with, if any (one; a second is data). RFC 8259
 * lets a JSON parser ignore it, and it is no part of a first line: every input that reads a body as
 * UTF-8 text or JSON drops it, so a file saved by Notepad and posted with `curl --data-binary @file`
 * is read alike by native, OTLP/HTTP JSON and Loki JSON ingest.
 */
export function withoutUtf8Bom(body: Buffer): Buffer {
  const marked = body.length >= UTF8_BOM.length && body[0] === UTF8_BOM[0] && body[1] === UTF8_BOM[1] && body[2] === UTF8_BOM[2];
  return marked ? body.subarray(UTF8_BOM.length) : body;
}
