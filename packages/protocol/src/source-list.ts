/**
 * The `source` filter parameter: a comma-separated list of source names. A source name may itself
 * hold a comma (`a,b` is a valid source, and `/api/sources` lists it), so a name's own commas are
 * written `\,` and its backslashes `\\`; any other backslash is literal, so names such as `C:\app`
 * read as before. Without this, `source=a,b` could only mean the two sources `a` and `b`, and the
 * source `a,b` could never be selected: its filter silently answered other sources' entries.
 */

/** The names of one `source` value: split at unescaped commas, `\,` and `\\` unescaped, trimmed. */
export function splitSourceList(value: string): string[] {
  const names: string[] = [];
  let current = '';
  for (let i = 0; i < value.length; i++) {
    const char = value[i];
    const next = value[i + 1];
    if (char === '\\' && (next === ',' || next === '\\')) {
      current += next;
      i++;
    } else if (char === ',') {
      names.push(current);
      current = '';
    } else {
      current += char;
    }
  }
  names.push(current);
  return names.map((name) => name.trim()).filter((name) => name !== '');
}

/** One `source` value naming exactly `names`: the inverse of {@link splitSourceList}. */
export function joinSourceList(names: readonly string[]): string {
  return names.map((name) => name.replace(/[\\,]/g, (char) => `\\${char}`)).join(',');
}
