import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

const here = fileURLToPath(new URL('.', import.meta.url));
const PHONE_SW = 'phone-sw';

/**
 * The operator console and the workers' phone page: one static bundle in dist/console that any
 * web server can serve (index.html, phone.html, and phone-sw.js, the phone page's service worker).
 */
export default defineConfig({
  root: here,
  // Relative asset URLs: the console works from any path a web server puts it under.
  base: './',
  build: {
    outDir: fileURLToPath(new URL('../dist/console', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    rolldownOptions: {
      input: {
        console: fileURLToPath(new URL('index.html', import.meta.url)),
        phone: fileURLToPath(new URL('phone.html', import.meta.url)),
        [PHONE_SW]: fileURLToPath(new URL('src/phone/service-worker.ts', import.meta.url)),
      },
      output: {
        // A service worker's URL must stay the same from build to build, and its folder is its
        // scope: phone-sw.js sits beside phone.html, unhashed.
        entryFileNames: (chunk) => (chunk.name === PHONE_SW ? `${PHONE_SW}.js` : 'assets/[name]-[hash].js'),
      },
    },
  },
  plugins: [phonePrecache()],
  logLevel: 'warn',
});

/**
 * Writes into the service worker the files the phone page needs offline: phone.html and every
 * chunk, stylesheet and asset its entry reaches, as this build named them, and a version made from
 * that list (what makes the browser install a new worker after a new build).
 */
function phonePrecache(): Plugin {
  return {
    name: 'phone-precache',
    apply: 'build',
    enforce: 'post',
    generateBundle(_options, bundle) {
      const chunks = Object.values(bundle).flatMap((f) => (f.type === 'chunk' ? [f] : []));
      const page = chunks.find((c) => c.isEntry && c.facadeModuleId?.endsWith('/phone.html'));
      const worker = chunks.find((c) => c.isEntry && c.name === PHONE_SW);
      if (!page || !worker) throw new Error('phone-precache: the phone page or its service worker is not in the bundle');
      const files = new Set<string>(['phone.html']);
      const visit = (fileName: string): void => {
        if (files.has(fileName)) return;
        files.add(fileName);
        const chunk = bundle[fileName];
        if (chunk?.type !== 'chunk') return;
        chunk.imports.forEach(visit);
        chunk.viteMetadata?.importedCss.forEach((f) => files.add(f));
        chunk.viteMetadata?.importedAssets.forEach((f) => files.add(f));
      };
      visit(page.fileName);
      const list = [...files].sort();
      const version = createHash('sha256').update(list.join('\n')).digest('hex').slice(0, 16);
      if (!worker.code.includes('__PHONE_PRECACHE__') || !worker.code.includes('__PHONE_VERSION__')) throw new Error('phone-precache: the service worker lost its placeholders');
      worker.code = worker.code.replaceAll('__PHONE_PRECACHE__', JSON.stringify(list)).replaceAll('__PHONE_VERSION__', JSON.stringify(version));
    },
  };
}
