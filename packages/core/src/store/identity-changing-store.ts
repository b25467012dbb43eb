import type { BasicLogStore } from './log-store.js';

/** Called with the new stream identity once the store's data was wiped and a new stream began. */
export type IdentityListener = (stream: string) => void;

/**
 * Optional ability: a store whose stream identity can change while it is open, because its data lives
 * outside the process and can be wiped there (a Redis FLUSHALL, a deleted key, a Redis restart without
 * persistence). Every cursor of the old identity is then foreign: `createEngine` restarts the broker
 * so that readers reconnect and are told `reset`.
 */
export interface IdentityChangingStore extends BasicLogStore {
  /** Registers a listener for identity changes; returns a function that removes it. */
  onIdentityChange(listener: IdentityListener): () => void;
}

/** True when `store` can report a change of its stream identity. */
export function isIdentityChanging(store: BasicLogStore): store is IdentityChangingStore {
  return typeof (store as Partial<IdentityChangingStore>).onIdentityChange === 'function';
}
