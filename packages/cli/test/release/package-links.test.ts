import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { publishablePackages, REPO_ROOT } from './workspace.js';

/** Where the project lives; every package's registry page links here. */
const REPOSITORY = 'https://github.com/livelog/livelog';

const read = (path: string): Record<string, unknown> => JSON.parse(readFileSync(path, 'utf8'));

/** The targets of the inline Markdown links of `text` (`[words](target)`), outside code blocks. */
function linkTargets(text: string): string[] {
  const prose = text.replace(/```[\s\S]*?```/g, '').replace(/`[^`\n]*`/g, '');
  return [...prose.matchAll(/\]\(([^)\s]+)\)/g)].map((match) => match[1] as string);
}

describe('repository links', () => {
  it('name the one repository in every package.json, with the folder of each package', () => {
    expect(read(join(REPO_ROOT, 'package.json'))).toMatchObject({
      repository: { type: 'git', url: `git+${REPOSITORY}.git` },
      homepage: `${REPOSITORY}#readme`,
      bugs: { url: `${REPOSITORY}/issues` },
    });
    for (const pkg of publishablePackages()) {
      const folder = relative(REPO_ROOT, pkg.dir).split('\\').join('/');
      expect(read(join(pkg.dir, 'package.json')), pkg.name).toMatchObject({
        repository: { type: 'git', url: `git+${REPOSITORY}.git`, directory: folder },
        homepage: `${REPOSITORY}/tree/main/${folder}#readme`,
        bugs: { url: `${REPOSITORY}/issues` },
      });
    }
  });

  it('in a package README are absolute (a registry page has no folders around it) and name files that exist', () => {
    for (const pkg of publishablePackages()) {
      for (const target of linkTargets(readFileSync(join(pkg.dir, 'README.md'), 'utf8'))) {
        if (target.startsWith('#')) continue;
        expect(target, `${pkg.name}'s README`).toMatch(/^https?:\/\//);
        const own = /^https:\/\/github\.com\/livelog\/livelog\/(?:blob|tree)\/main\/([^#?]+)/.exec(target);
        if (own !== null) expect(existsSync(join(REPO_ROOT, own[1] as string)), `${pkg.name}'s README links ${target}`).toBe(true);
      }
    }
  });

  it('in the root README name files that exist', () => {
    for (const target of linkTargets(readFileSync(join(REPO_ROOT, 'README.md'), 'utf8'))) {
      if (/^(https?:|mailto:|#)/.test(target)) continue;
      expect(existsSync(join(REPO_ROOT, target.replace(/#.*$/, ''))), `README links ${target}`).toBe(true);
    }
  });
});
