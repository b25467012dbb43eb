#!/usr/bin/env node
// Copies the built web console (packages/console/dist/app and dist/livelog-console.js) into
// packages/server/console/, which @livelog/server ships. The server then serves the dashboard without
// depending on @livelog/console, so an install of livelog does not pull the console's source
// dependencies (Lit, TanStack Virtual, anser) it never runs on the server.
import { cpSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const from = join(root, 'packages/console/dist');
const to = join(root, 'packages/server/console');

if (!existsSync(join(from, 'app/index.html')) || !existsSync(join(from, 'livelog-console.js'))) {
  console.error('copy-console-assets: packages/console is not built; run `npm run build -w @livelog/console` first');
  process.exit(1);
}
rmSync(to, { recursive: true, force: true });
mkdirSync(to, { recursive: true });
cpSync(join(from, 'app'), join(to, 'app'), { recursive: true });
cpSync(join(from, 'livelog-console.js'), join(to, 'livelog-console.js'));
