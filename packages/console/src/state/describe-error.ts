/** The message of a thrown value, for a notice shown to the reader. */
export function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
