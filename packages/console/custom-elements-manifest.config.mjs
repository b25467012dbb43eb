// `cem analyze` (npm run build): writes dist/custom-elements.json, the manifest editors, Storybook and
// framework tooling read to know <livelog-console>'s attributes, properties, events and so on. Only
// the element's module: the app shell is the dashboard page, not part of the API.
import { readFileSync } from 'node:fs';

/**
 * The analyzer cannot see events sent through dispatchConsoleEvent; their one definition is
 * LivelogConsoleEventMap in src/console-events.ts, so the manifest's events are read from there.
 */
function eventsFromEventMap() {
  return {
    name: 'livelog-events-from-event-map',
    packageLinkPhase({ customElementsManifest }) {
      const source = readFileSync(new URL('./src/console-events.ts', import.meta.url), 'utf8');
      const body = /export interface LivelogConsoleEventMap \{([\s\S]*?)\n\}/.exec(source)?.[1] ?? '';
      const events = [...body.matchAll(/(?:\/\*\*\s*([\s\S]*?)\s*\*\/\s*)?'(livelog-[a-z-]+)':\s*([^;]+);/g)].map(
        ([, doc, name, detail]) => ({
          name,
          type: { text: `CustomEvent<${detail.trim()}>` },
          ...(doc ? { description: doc.replace(/\s*\n\s*\*\s*/g, ' ').trim() } : {}),
        }),
      );
      if (events.length === 0) throw new Error('no events found in LivelogConsoleEventMap');
      for (const module of customElementsManifest.modules) {
        for (const declaration of module.declarations ?? []) {
          if (declaration.tagName === 'livelog-console') declaration.events = events;
        }
      }
    },
  };
}

export default {
  globs: ['src/livelog-console.ts'],
  outdir: 'dist',
  litelement: true,
  plugins: [eventsFromEventMap()],
};
