/**
 * True when `value` nests objects or arrays deeper than `maxDepth` (a flat object is depth 1).
 * Iterative, so a hostile record cannot exhaust the stack here; JSON.stringify would later.
 */
export function exceedsDepth(value: unknown, maxDepth: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop() as [unknown, number];
    if (node === null || typeof node !== 'object') continue;
    if (depth + 1 > maxDepth) return true;
    if (Array.isArray(node)) {
      for (const child of node) if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
    } else {
      for (const key in node) {
        const child = (node as Record<string, unknown>)[key];
        if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
      }
    }
  }
  return false;
}
