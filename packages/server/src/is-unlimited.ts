/** Words that turn a retention limit off. */
export function isUnlimited(text: string): boolean {
  return ['unlimited', 'none', 'off', 'no', 'false', 'infinite', 'inf'].includes(text.trim().toLowerCase());
}
