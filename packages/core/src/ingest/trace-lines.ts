/**
 * The shapes of lines inside stack traces and crash reports, as the runtimes print them. Each test
 * looks at one line only; `LineGrouper` decides from these and what came before whether a line
 * continues an entry. Every pattern is anchored at the start and free of nested repetition, so a
 * line that does not match fails in a few steps whatever its length.
 */

/** JVM, Node and .NET frames: `\tat com.x.Y.run(Y.java:12)`, `    at f (/app/x.js:3:7)`, `   at A.B() in C:\a.cs:line 9`. */
const AT_FRAME = /^\s+at \S.*(?:\)|:\d+|line \d+)$/;
/** Java: `\t... 5 more`, `... 12 common frames omitted` (logback). */
const JAVA_MORE = /^\s*\.\.\. \d+ (?:more|common frames omitted)/;
/** Java: `Caused by: …` (first column; indented inside a suppressed one) and `\tSuppressed: …`. */
const JAVA_CAUSE = /^\s*(?:Caused by|Suppressed): /;
/** Python: `  File "/app/x.py", line 3, in <module>`. */
const PYTHON_FRAME = /^\s+File "[^"]*", line \d+/;
const PYTHON_TRACEBACK = /^Traceback \(most recent call last\):\s*$/;
/** The sentences Python prints between the tracebacks of chained exceptions. */
const PYTHON_CHAIN =
  /^(?:During handling of the above exception, another exception occurred:|The above exception was the direct cause of the following exception:)\s*$/;
/** Go: `goroutine 1 [running]:`. */
const GO_GOROUTINE = /^goroutine \d+ \[[^\]]*\]:\s*$/;
/** Go, inside a goroutine dump: `main.main()`, `main.(*T).Run(0xc000010000, {0x4b1a3e, 0x5})`, `created by main.start in goroutine 1`. */
const GO_FUNCTION = /^(?:created by \S|[^\s(]+\(.*\)$)/;
/** Go: `[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x47e5b5]` right after a panic. */
const GO_SIGNAL = /^\[signal /;
/**
 * A line that opens an exception report: `java.lang.IllegalStateException: boom`, `Error: boom`,
 * `TypeError: x is not a function`, `ValueError: bad`, `Exception in thread "main" …`,
 * `Traceback (most recent call last):`, `panic: …`, `fatal error: …` (Go).
 */
const EXCEPTION_HEADER =
  /^(?:Traceback \(most recent call last\):|Exception in thread "|(?:panic|fatal error): |(?:[A-Za-z_$][\w$]*\.)*[\w$]*(?:Exception|Error|Throwable)(?::\s|:?\s*$))/;
/**
 * Node: the `file:line` over the source excerpt of an uncaught exception (`/app/x.js:3`,
 * `file:///app/x.mjs:3`, `node:internal/x:12`, `<anonymous_script>:1`, `[eval]:1` for `node -e`).
 */
const NODE_EXCERPT = /^(?:\/|[A-Za-z]:\\|file:|node:|<anonymous|\[eval\]|\[stdin\])\S*:\d+$/;
/** Node: the caret line under the excerpt. */
const NODE_CARET = /^\s*\^+\s*$/;
/** Node: the version line it prints last after an uncaught exception. */
const NODE_VERSION = /^Node\.js v\d+/;
/** A source line under a line-number gutter, as compilers quote code: `4 |     let x: i32 = "a";` (rustc). */
const GUTTER = /^\d+ +\|/;
/** A closing bracket on its own line: the end of the properties Node prints after an error's frames. */
const CLOSING = /^\s*[}\])]+[,;]?\s*$/;

/**
 * True for a stack frame in one of the shapes specific enough to continue any entry, whatever its
 * level: `at …` frames, Python's `File "…", line N`, `Caused by:`, `Suppressed:`, `... N more`.
 */
export function isFrame(line: string): boolean {
  const first = line.charCodeAt(0);
  if (first === 0x20 || first === 0x09)
    return AT_FRAME.test(line) || PYTHON_FRAME.test(line) || JAVA_MORE.test(line) || JAVA_CAUSE.test(line);
  return (first === 0x43 /* C */ && JAVA_CAUSE.test(line)) || (first === 0x2e /* . */ && JAVA_MORE.test(line));
}

/** True for a line that starts with a space or a tab and holds something else too. */
export function isIndented(line: string): boolean {
  const first = line.charCodeAt(0);
  return (first === 0x20 || first === 0x09) && !isBlank(line);
}

/** True for an empty line or one of spaces, tabs and CRs only. Stops at the first other character. */
export function isBlank(line: string): boolean {
  for (let i = 0; i < line.length; i++) {
    const code = line.charCodeAt(i);
    if (code !== 0x20 && code !== 0x09 && code !== 0x0d) return false;
  }
  return true;
}

/** True for a line that opens an exception report (see EXCEPTION_HEADER). */
export function isExceptionHeader(line: string): boolean {
  return EXCEPTION_HEADER.test(line);
}

export function isPythonTraceback(line: string): boolean {
  return line.charCodeAt(0) === 0x54 /* T */ && PYTHON_TRACEBACK.test(line);
}

export function isPythonChain(line: string): boolean {
  return PYTHON_CHAIN.test(line);
}

export function isGoroutineHeader(line: string): boolean {
  return line.charCodeAt(0) === 0x67 /* g */ && GO_GOROUTINE.test(line);
}

export function isGoFunction(line: string): boolean {
  return GO_FUNCTION.test(line);
}

export function isGoSignal(line: string): boolean {
  return GO_SIGNAL.test(line);
}

export function isClosingBracket(line: string): boolean {
  return CLOSING.test(line);
}

export function isNodeExcerpt(line: string): boolean {
  return NODE_EXCERPT.test(line);
}

export function isNodeCaret(line: string): boolean {
  return NODE_CARET.test(line);
}

export function isNodeVersion(line: string): boolean {
  return line.charCodeAt(0) === 0x4e /* N */ && NODE_VERSION.test(line);
}

export function isGutterLine(line: string): boolean {
  return GUTTER.test(line);
}
