/**
 * Compiles a pattern the user typed, as the console's filter and the CLI's `-i/-e/-H` both do. The
 * `u` flag comes first, so `\p{L}` works and `.` matches a whole emoji rather than half of it; a
 * pattern valid only without `u` (`\:`, `\-` outside a class, patterns pasted from older tools)
 * still compiles without it. Throws the plain attempt's error when neither compiles.
 */
export function compileUserRegExp(source: string, flags: string): RegExp {
  try {
    return new RegExp(source, `${flags}u`);
  } catch {
    return new RegExp(source, flags);
  }
}
