import { defineConfig } from 'vite';

// The dashboard page that `livelog serve` shows at `/`. `base: './'` makes every asset URL relative,
// so the same build works at `/` and under any `--base-path` behind a reverse proxy.
export default defineConfig({
  base: './',
  build: {
    outDir: 'dist/app',
    emptyOutDir: true,
    target: 'es2022',
    reportCompressedSize: false,
  },
});
