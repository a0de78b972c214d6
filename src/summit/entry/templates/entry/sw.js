/* Keeps the last copy of the entry and badge pages, so the badge shows without a network once opened. */
const CACHE = "summit-entry-v1";
const SCOPE = "{{ scope|escapejs }}";

self.addEventListener("install", (event) => { self.skipWaiting(); });
self.addEventListener("activate", (event) => { event.waitUntil(self.clients.claim()); });

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  const page = request.mode === "navigate" && url.pathname.startsWith(SCOPE);
  const asset = url.origin === self.location.origin && url.pathname.startsWith("/static/");
  if (request.method !== "GET" || !(page || asset)) return;
  event.respondWith(
    fetch(request)
      .then((response) => {
        if (response.ok) {
          const copy = response.clone();
          caches.open(CACHE).then((cache) => cache.put(request, copy));
        }
        return response;
      })
      .catch(() => caches.match(request).then((hit) => hit || Response.error()))
  );
});
