import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's root folder. */
export const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

/** A workspace package that is published to the registry. */
export interface PublishablePackage {
  name: string;
  version: string;
  /** Absolute folder. */
  dir: string;
}

/** Every workspace package of the root package.json that is not `private`, in workspace order. */
export function publishablePackages(): PublishablePackage[] {
  const read = (dir: string): Record<string, unknown> => JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const workspaces = read(REPO_ROOT).workspaces as string[];
  return workspaces
    .map((workspace) => join(REPO_ROOT, workspace))
    .map((dir) => ({ dir, manifest: read(dir) }))
    .filter(({ manifest }) => manifest.private !== true)
    .map(({ dir, manifest }) => ({ name: String(manifest.name), version: String(manifest.version), dir }));
}
