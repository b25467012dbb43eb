/** The message of a thrown value, for a notice shown to the reader. */
export function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The server's words for a refused query, without the status line: `Invalid query: <message>`. */
export function badQueryText(message: string): string {
  return `Invalid query: ${message.replace(/^HTTP 400 LIVELOG_ERR_BAD_QUERY: /, '')}`;
}
