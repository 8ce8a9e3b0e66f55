"""The review pages: server-rendered HTML, and the static JS/CSS they load (offline, no CDN)."""
