import { describeBroker } from '../broker/broker.contract.js';
import { describeLogStore } from './log-store.contract.js';
import { MemoryStore } from './memory-store.js';

describeLogStore('memory', async () => ({ store: new MemoryStore() }));
describeBroker('memory', async () => ({ store: new MemoryStore() }));
