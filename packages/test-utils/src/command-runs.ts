import { execFileSync } from 'node:child_process';

/**
 * Whether `command --version` runs here: tests that drive a real peer (curl, python3, logger,
 * journalctl) skip, saying so, on a machine without it instead of failing for the wrong reason.
 */
export function commandRuns(command: string): boolean {
  try {
    execFileSync(command, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
