import { describeLogDatabase } from './log-database.contract.js';
import { MemoryDatabase } from './memory-database.js';

describeLogDatabase('memory', async (options) => ({ database: new MemoryDatabase(options) }));
