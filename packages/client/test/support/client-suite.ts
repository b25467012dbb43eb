import { afterAll, afterEach, beforeAll, describe } from 'vitest';
import type { ClientDriver } from './client-driver.js';
import { suiteContext } from './client-suite-context.js';
import { describeDelivery } from './client-suite-delivery.js';
import { describePosition } from './client-suite-position.js';
import { describeReconnects } from './client-suite-reconnect.js';

export { expectExactly, seeded } from './client-suite-context.js';

/**
 * The client's behaviour suite, run against real servers (in process and spawned) through the
 * fault-injecting proxy. The same suite runs on every driver: Node and Chromium. Its tests live in
 * one file per topic (delivery, reconnects, position), registered here in their order.
 */
export function describeClientSuite(label: string, createDriver: () => Promise<ClientDriver>): void {
  describe(`@livelog/client in ${label}`, () => {
    let driver: ClientDriver;
    const ctx = suiteContext(() => driver);

    beforeAll(async () => {
      driver = await createDriver();
    });
    afterAll(async () => {
      await driver?.dispose();
    });
    afterEach(async () => {
      await driver.closeAll();
      for (const cleanup of ctx.cleanups.splice(0).reverse()) await cleanup();
    });

    describeDelivery(ctx);
    describeReconnects(ctx);
    describePosition(ctx);
  });
}
