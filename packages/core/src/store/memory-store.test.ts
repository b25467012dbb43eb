import { describeBroker } from '../broker/broker.contract.js';
import { PageCache } from '../broker/page-cache.js';
import { describeLogStore } from './log-store.contract.js';
import { MemoryStore } from './memory-store.js';
import { describePageBytes } from './page-bytes.contract.js';

describeLogStore('memory', async () => ({ store: new MemoryStore() }));
describePageBytes('memory', async () => ({ store: new MemoryStore() }));
describeBroker('memory', async () => ({ store: new MemoryStore() }));
// Pages of 7 entries in a cache of a few pages: page seams, shared reads and evictions under the contract.
describeBroker(
  'memory, page cache',
  async () => ({ store: new MemoryStore() }),
  () => ({
    pageCache: new PageCache({ pageSize: 7, maxBytes: 8 * 1024 }),
  }),
);
