// The unit app's service worker (installable PWA). Pages: network first, the cached shell when
// the network is down. API calls and socket.io are never cached: alerts must be live or absent.
const CACHE = 'fireiot-shell-v1';
const SHELL = ['/', '/manifest.webmanifest', '/icon.svg'];

self.addEventListener('install', (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll(SHELL))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== 'GET' || url.origin !== self.location.origin) return;
  if (url.pathname.startsWith('/api/') || url.pathname.startsWith('/socket.io/')) return;
  event.respondWith(
    fetch(event.request)
      .then((response) => {
        if (response.ok && (event.request.mode === 'navigate' || url.pathname.startsWith('/assets/'))) {
          const copy = response.clone();
          void caches
            .open(CACHE)
            .then((cache) => cache.put(event.request.mode === 'navigate' ? '/' : event.request, copy));
        }
        return response;
      })
      .catch(() =>
        caches.match(event.request.mode === 'navigate' ? '/' : event.request).then((hit) => hit ?? Response.error()),
      ),
  );
});
