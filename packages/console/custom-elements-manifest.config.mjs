// `cem analyze` (npm run build): writes dist/custom-elements.json, the manifest editors, Storybook and
// framework tooling read to know <livelog-console>'s attributes, properties, events, parts and CSS
// properties. Only the element's module: the app shell is the dashboard page, not part of the API.
export default {
  globs: ['src/livelog-console.ts'],
  outdir: 'dist',
  litelement: true,
};
