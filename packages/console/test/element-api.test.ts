import { readFileSync } from 'node:fs';
import { ingest, startServer, waitFor } from '@livelog/test-utils';
import { describe, expect, it } from 'vitest';
import { consoleCall, loadedSeqs, useBrowser } from './support/browser.js';

// Issue 9, item 10: the element's public description (custom-elements.json) and its token, which is a
// property only, never an attribute in the DOM.

const suite = useBrowser();
const SECRET = 'reader-secret-9f3k2';

interface ManifestDeclaration {
  tagName?: string;
  attributes?: { name: string }[];
  members?: { name: string; kind: string }[];
  events?: { name: string }[];
}

describe('<livelog-console> API', () => {
  it('describes itself in dist/custom-elements.json: attributes, the token as a field only, every event', () => {
    const manifest = JSON.parse(readFileSync(new URL('../dist/custom-elements.json', import.meta.url), 'utf8')) as {
      modules: { declarations?: ManifestDeclaration[] }[];
    };
    const element = manifest.modules.flatMap((module) => module.declarations ?? []).find((d) => d.tagName === 'livelog-console');
    expect(element?.attributes?.map((attribute) => attribute.name).sort()).toEqual(
      [
        'global-shortcuts',
        'level',
        'max-lines',
        'query',
        'since',
        'source',
        'src',
        'stream',
        'tail',
        'theme',
        'until',
        'utc',
        'wrap',
      ].sort(),
    );
    expect(element?.members?.find((member) => member.name === 'token')?.kind).toBe('field');
    expect(element?.events?.map((event) => event.name).sort()).toEqual(
      ['livelog-gap', 'livelog-recovered', 'livelog-search', 'livelog-select', 'livelog-status', 'livelog-theme', 'livelog-token'].sort(),
    );
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { customElements: string };
    expect(pkg.customElements).toBe('dist/custom-elements.json');
  });

  it('reads with its token while no attribute anywhere in the DOM holds it, and ignores a token attribute', async () => {
    const server = await startServer({ tokens: [`${SECRET}:read`, 'writer-secret-77aa:ingest'] });
    suite.defer(() => server.close());
    await ingest(server.url, 3, 'secret line', { authorization: 'Bearer writer-secret-77aa' });
    const { page } = await suite.openPage();
    await page.goto(`${server.url}/?token=${SECRET}`);
    await page.locator('livelog-console .state[data-state="live"]').waitFor();
    await waitFor(async () => (await loadedSeqs(page)).length === 3);
    expect(await consoleCall(page, 'c.token')).toBe(SECRET);
    // Every attribute of every element, shadow roots included.
    const attributes = await page.evaluate(() => {
      const values: string[] = [];
      const visit = (root: Document | ShadowRoot): void => {
        for (const element of root.querySelectorAll('*')) {
          for (const attribute of element.attributes) values.push(`${element.tagName}[${attribute.name}=${attribute.value}]`);
          if (element.shadowRoot) visit(element.shadowRoot);
        }
      };
      visit(document);
      return values;
    });
    expect(attributes.length).toBeGreaterThan(20);
    expect(attributes.filter((value) => value.includes(SECRET))).toEqual([]);
    // Planted: an attribute set by markup or a script does not become the token.
    expect(await consoleCall(page, "(c.setAttribute('token', 'from-markup'), c.token)")).toBe(SECRET);
  });
});
