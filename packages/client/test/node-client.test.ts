import { describeClientSuite } from './support/client-suite.js';
import { nodeDriver } from './support/node-driver.js';

describeClientSuite('Node', async () => nodeDriver());
