import { levelNumber } from '@livelog/protocol';
import type { EntryFilter } from '../entry/entry-filter.js';
import { QUERY_FUNCTION, type SearchPlan } from './sqlite-search.js';

/** SQL conditions on `entries` and their parameters. */
export interface SqlConditions {
  where: string[];
  params: (string | number)[];
}

/**
 * The SQL of an EntryFilter on the `entries` table: the one place history windows and filtered
 * histograms turn a filter into SQL. A search (`query`) is confirmed row by row by `livelog_query`
 * (the one matcher, `matchEntry`); whether the FTS index narrows the rows first is the caller's
 * choice of FROM clause, given by `search.match`.
 */
export function filterConditions(filter: EntryFilter | undefined, search: SearchPlan | undefined): SqlConditions {
  const where: string[] = [];
  const params: (string | number)[] = [];
  if (filter?.level !== undefined) {
    where.push('level >= ?');
    params.push(levelNumber(filter.level));
  }
  if (filter?.sources !== undefined && filter.sources.length > 0) {
    where.push(`source IN (${filter.sources.map(() => '?').join(', ')})`);
    params.push(...filter.sources);
  }
  if (search !== undefined) {
    where.push(...search.levelSql, `${QUERY_FUNCTION}(json, ?)`);
    params.push(...search.levelParams, search.queryJson);
  }
  return { where, params };
}
