import { chromiumDriver } from './support/chromium-driver.js';
import { describeClientSuite } from './support/client-suite.js';

describeClientSuite('Chromium', () => chromiumDriver());
