/**
 * The contract suites a store implementation runs (Vitest): `describeLogStore` for the store itself,
 * `describeBroker` for what readers get from a broker over it, `describeLogDatabase` for a database of
 * many streams.
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
