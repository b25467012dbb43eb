import { parseQuery, type QueryNode } from '@livelog/protocol';

/**
 * Patterns of the text a query looks for in a message — its bare words, "phrases" and `msg:` terms,
 * outside any negation — as case-insensitive regexes, for highlighting the matches of a search (the
 * query language matches them as case-insensitive substrings). A query that cannot be read gives none.
 */
export function queryTerms(query: string): RegExp[] {
  let root: QueryNode;
  try {
    root = parseQuery(query);
  } catch {
    return [];
  }
  const terms: string[] = [];
  const visit = (node: QueryNode): void => {
    if (node.type === 'and' || node.type === 'or') node.children.forEach(visit);
    else if (node.type === 'text' && node.value !== '') terms.push(node.value);
    else if (node.type === 'property' && node.name === 'msg' && node.value !== '') terms.push(node.value);
  };
  visit(root);
  // With `u`, as the console colors them: case-insensitive over every letter (𐐀 and 𐐨), as the server matches.
  return [...new Set(terms)].map((term) => new RegExp(term.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&'), 'iu'));
}
