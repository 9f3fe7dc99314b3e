import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = fileURLToPath(new URL('.', import.meta.url));

/** The operator console: a static bundle in dist/console that any web server can serve. */
export default defineConfig({
  root: here,
  // Relative asset URLs: the console works from any path a web server puts it under.
  base: './',
  build: { outDir: fileURLToPath(new URL('../dist/console', import.meta.url)), emptyOutDir: true, target: 'es2022' },
  logLevel: 'warn',
});
