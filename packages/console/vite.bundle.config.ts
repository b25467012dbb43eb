import { defineConfig } from 'vite';

// One self-contained ES module that defines <livelog-console>, for pages without a bundler:
// <script type="module" src="…/livelog-console.js">. Served by livelog at /livelog-console.js.
export default defineConfig({
  build: {
    outDir: 'dist',
    emptyOutDir: false,
    target: 'es2022',
    reportCompressedSize: false,
    copyPublicDir: false,
    minify: true,
    lib: {
      entry: 'src/index.ts',
      formats: ['es'],
      fileName: () => 'livelog-console.js',
    },
  },
});
