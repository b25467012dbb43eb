import { existsSync } from 'node:fs';

/**
 * Flags for Debian's Chromium in tests and benchmarks: headless, no sandbox (tests run as root), and
 * none of the background traffic a closed network refuses.
 */
export const CHROMIUM_ARGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** Path of the Chromium to drive (`LIVELOG_CHROMIUM`, else Debian's); throws a fix-it message when missing. */
export function chromiumPath(): string {
  const path = process.env.LIVELOG_CHROMIUM ?? '/usr/bin/chromium';
  if (!existsSync(path)) throw new Error(`Chromium not found at ${path}: run node scripts/ensure-chromium.mjs or set LIVELOG_CHROMIUM`);
  return path;
}
