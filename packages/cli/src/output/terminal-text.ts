import ansiRegex from 'ansi-regex';

/**
 * C0 controls but tab and line feed, DEL, C1 controls (0x80–0x9f: 8-bit CSI, OSC, DCS on terminals
 * that honour them), and the bidirectional embedding, override and isolate controls (U+202A–U+202E,
 * U+2066–U+2069), which reorder what a line shows ("Trojan Source").
 */
const CONTROL = String.raw`[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]`;
/** Every escape sequence (ansi-regex: CSI, OSC, DCS/SOS/PM/APC strings, two-byte escapes), else one control. */
const SEQUENCE_OR_CONTROL = new RegExp(`${ansiRegex().source}|${CONTROL}`, 'g');
const ANY_CONTROL = new RegExp(CONTROL);
/** Select Graphic Rendition in its 7-bit form: colours, bold, underline. Nothing else a terminal can be told. */
const SGR = /^\x1b\[[0-9;:]*m$/;
const RESET = '\x1b[0m';

/**
 * `text` made safe to print on a terminal: every escape sequence and control character a log line
 * carries is removed — a line must not retitle the window (OSC 0), move the cursor, clear the
 * screen, rewrite earlier lines (CR, CSI), hide text or reorder it (bidi controls). Colours (SGR)
 * stay when `keepColors`, followed by a reset so they cannot spill into the next line. Tab and line
 * feed stay (a grouped stack trace prints as its lines). Text without any control is returned as is.
 */
export function terminalText(text: string, keepColors: boolean): string {
  if (!ANY_CONTROL.test(text)) return text;
  let kept = false;
  const clean = text.replace(SEQUENCE_OR_CONTROL, (match) => {
    if (keepColors && SGR.test(match)) {
      kept = true;
      return match;
    }
    return '';
  });
  return kept ? `${clean}${RESET}` : clean;
}

const UNSAFE_IN_JSON = /[\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/**
 * JSON text with the characters JSON.stringify leaves raw but a terminal acts on (DEL, C1, bidi
 * controls) written as `\uXXXX` escapes: the same JSON value, harmless on a screen. They can only
 * occur inside strings, where the escape is valid.
 */
export function terminalJson(json: string): string {
  return json.replace(UNSAFE_IN_JSON, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
