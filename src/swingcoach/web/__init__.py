"""The web app served by `swingcoach serve`: pages, static files and the browser's pose model.

Every page is a small HTML shell (templates/) plus an ES module (static/js/pages/) that talks to the
/v1 API with the bearer token kept in the browser. The practice page runs the student pose model
with onnxruntime-web (vendored under static/vendor/, see web-src/) and the swing finder in the
browser. See docs/web.md.
"""

from swingcoach.web.pages import mount_web

__all__ = ["mount_web"]
