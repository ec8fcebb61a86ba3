// Dekapan's service worker: keeps the app shell (HTML shell, WebAssembly, JavaScript, CSS,
// icons) for offline use: every file of the build, with the pieces of WebAssembly a screen loads
// when first opened, so a screen never opened online opens offline. It never stores answers
// from /api/, /sync/ or /export/: people's data lives only in IndexedDB. The server fills in
// BUILD (a hash of every built file, so every deployment is a new worker) and PKG (their list).
const BUILD = '__BUILD__';
const CACHE = `dekapan-shell-${BUILD}`;
const SHELL = '/shell';
const STATIC = new Set([
  SHELL,
  ...'__PKG__',
  '/manifest.webmanifest',
  '/favicon.svg',
  '/icons/icon-192.png',
  '/icons/icon-512.png',
  '/icons/icon-maskable-512.png',
  '/icons/apple-touch-icon.png',
]);
// How long a page may take from the network before the cached shell answers instead.
const NAVIGATION_TIMEOUT_MS = 4000;

self.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      await cache.addAll([...STATIC].map((url) => new Request(url, { cache: 'reload' })));
      // The first worker takes over at once; a later one waits until the user agrees.
      if (!self.registration.active) {
        await self.skipWaiting();
      }
    })(),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      for (const key of await caches.keys()) {
        if (key.startsWith('dekapan-shell-') && key !== CACHE) {
          await caches.delete(key);
        }
      }
      await self.clients.claim();
    })(),
  );
});

self.addEventListener('message', (event) => {
  if (event.data === 'skip-waiting') {
    self.skipWaiting();
  }
});

function isPrivate(url) {
  return ['/api/', '/sync/', '/export/'].some((p) => url.pathname.startsWith(p));
}

// The cache, opened once per start of the worker: a screen's first opening asks it for dozens
// of pieces of WebAssembly at once.
let opened;
function shell() {
  opened ??= caches.open(CACHE);
  return opened;
}

async function pageOrShell(request) {
  const timeout = new Promise((resolve) => setTimeout(resolve, NAVIGATION_TIMEOUT_MS));
  try {
    const response = await Promise.race([fetch(request), timeout]);
    if (response) {
      return response;
    }
  } catch (_) {
    // Offline: fall through to the shell.
  }
  return (await (await shell()).match(SHELL)) || Response.error();
}

// Looked up by the exact address, the cache's quick path (a lookup that ignores the query
// reads every entry); only an address with a query falls back to that.
async function cachedFirst(request, url) {
  const cache = await shell();
  const hit =
    (await cache.match(request)) || (url.search && (await cache.match(request, { ignoreSearch: true })));
  return hit || fetch(request);
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin || isPrivate(url)) {
    return;
  }
  if (request.mode === 'navigate') {
    // Pages are never cached: a server-rendered page may show a name.
    event.respondWith(pageOrShell(request));
    return;
  }
  if (STATIC.has(url.pathname) && url.pathname !== SHELL) {
    event.respondWith(cachedFirst(request, url));
  }
});
