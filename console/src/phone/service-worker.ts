/*
 * The phone page's service worker (built to phone-sw.js beside phone.html): after one visit with
 * signal, it serves the page and its files from its cache, so the page opens at a door with no
 * signal at all. Cache first, never the network first: one bar of signal that hangs a request
 * is worse than none. A new build has new file names in its list, so the browser installs the new
 * worker, which fills a new cache and drops the old; the page then loads the new files.
 *
 * The build fills in the two names below (console/vite.config.ts): the page's files, relative to
 * this worker, and a version made from them.
 */

declare const __PHONE_PRECACHE__: readonly string[];
declare const __PHONE_VERSION__: string;

/*
 * The little of ServiceWorkerGlobalScope this uses, typed here: the console's program has the DOM
 * library, and the webworker library beside it redeclares `self` and `navigator`.
 */
interface LifecycleEvent extends Event {
  waitUntil(work: Promise<unknown>): void;
}
interface PageFetchEvent extends LifecycleEvent {
  readonly request: Request;
  respondWith(response: Promise<Response>): void;
}
interface WorkerScope {
  readonly location: Location;
  skipWaiting(): Promise<void>;
  readonly clients: { claim(): Promise<void> };
  addEventListener(type: 'install' | 'activate', listener: (event: LifecycleEvent) => void): void;
  addEventListener(type: 'fetch', listener: (event: PageFetchEvent) => void): void;
}
const sw = globalThis as unknown as WorkerScope;

const CACHE = `station-phone-${__PHONE_VERSION__}`;
const FILES = new Set(__PHONE_PRECACHE__.map((f) => new URL(f, sw.location.href).href));

sw.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      // `reload`: past any HTTP cache, so the files are this build's.
      await cache.addAll([...FILES].map((url) => new Request(url, { cache: 'reload' })));
      await sw.skipWaiting();
    })(),
  );
});

sw.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) if (name.startsWith('station-phone-') && name !== CACHE) await caches.delete(name);
      await sw.clients.claim();
    })(),
  );
});

sw.addEventListener('fetch', (event) => {
  const req = event.request;
  if (req.method !== 'GET') return;
  const url = new URL(req.url);
  url.search = '';
  url.hash = '';
  // Only the page's own files; anything else goes to the network as if there were no worker.
  if (!FILES.has(url.href)) return;
  event.respondWith(
    (async () => {
      const cached = await (await caches.open(CACHE)).match(url.href);
      return cached ?? fetch(req);
    })(),
  );
});
