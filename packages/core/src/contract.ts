/**
 * The contract suites a store implementation runs (Vitest): `describeLogStore` for the store itself,
 * `describeBroker` for what readers get from a broker over it.
 */
export { describeBroker } from './broker/broker.contract.js';
export { RecordingSink } from './broker/recording-sink.js';
export { describeLogStore, type StoreFactory, type StoreTraits, type StoreUnderTest } from './store/log-store.contract.js';
