/**
 * The contract suites a store implementation runs (Vitest): `describeLogStore` for the store itself,
 * `describeBroker` for what readers get from a broker over it, `describeLogDatabase` for a database of
 * many streams, `describeSearch` for the query language's table (issue 13).
 */
export { describeBroker } from './broker/broker.contract.js';
export { RecordingSink } from './broker/recording-sink.js';
export { bruteHistogram, type PlainHistogram, plainHistogram } from './store/histogram-oracle.js';
export {
  type DatabaseFactory,
  type DatabaseTraits,
  type DatabaseUnderTest,
  describeLogDatabase,
} from './store/log-database.contract.js';
export { describeLogStore, type StoreFactory, type StoreTraits, type StoreUnderTest } from './store/log-store.contract.js';
export { describePageBytes } from './store/page-bytes.contract.js';
export { describeSearch, readAllMatches, type SearchContractOptions } from './store/search.contract.js';
export { SEARCH_CORPUS, SEARCH_ERRORS, SEARCH_TABLE, type SearchErrorRow, type SearchRow } from './store/search-table.js';
