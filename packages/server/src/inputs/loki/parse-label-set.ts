import { LivelogError } from '@livelog/core';

const NAME = /[a-zA-Z_][a-zA-Z0-9_]*/y;
const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', '"': '"' };

/**
 * A Loki stream's labels as the protobuf push carries them, in Prometheus label-set text:
 * `{job="api", namespace="prod"}`. Values are double-quoted with `\\`, `\"`, `\n`, `\t`, `\r`
 * escapes. Throws LIVELOG_ERR_LOKI_BAD_LABELS for anything else.
 *
 * Written here rather than taken from a library: the grammar is these few lines, and the libraries
 * that parse it (LogQL and PromQL parsers) parse whole query languages.
 */
export function parseLabelSet(text: string): Record<string, string> {
  const labels: [string, string][] = [];
  let at = skipSpace(text, 0);
  if (text[at] !== '{') throw bad(text, 'must start with {');
  at = skipSpace(text, at + 1);
  while (text[at] !== '}') {
    NAME.lastIndex = at;
    const name = NAME.exec(text)?.[0];
    if (name === undefined) throw bad(text, `expected a label name at offset ${at}`);
    at = skipSpace(text, at + name.length);
    if (text[at] !== '=') throw bad(text, `expected = after ${name}`);
    at = skipSpace(text, at + 1);
    if (text[at] !== '"') throw bad(text, `expected a quoted value for ${name}`);
    let value = '';
    at++;
    for (;;) {
      if (at >= text.length) throw bad(text, `the value of ${name} is not closed`);
      const char = text[at] as string;
      if (char === '"') break;
      if (char === '\\') {
        const next = text[at + 1];
        if (next === undefined) throw bad(text, `the value of ${name} is not closed`);
        value += ESCAPES[next] ?? next;
        at += 2;
      } else {
        value += char;
        at++;
      }
    }
    labels.push([name, value]);
    at = skipSpace(text, at + 1);
    if (text[at] === ',') at = skipSpace(text, at + 1);
    else if (text[at] !== '}') throw bad(text, `expected , or } after the value of ${name}`);
  }
  if (skipSpace(text, at + 1) !== text.length) throw bad(text, 'has text after }');
  return Object.fromEntries(labels);
}

function skipSpace(text: string, at: number): number {
  while (at < text.length && (text[at] === ' ' || text[at] === '\t' || text[at] === '\n' || text[at] === '\r')) at++;
  return at;
}

function bad(text: string, problem: string): LivelogError {
  const shown = text.length > 80 ? `${text.slice(0, 77)}...` : text;
  return new LivelogError('LIVELOG_ERR_LOKI_BAD_LABELS', `stream labels ${JSON.stringify(shown)} ${problem}`);
}
