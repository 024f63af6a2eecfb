"""goldenpath sample Python app (pip): GET / answers "hello from goldenpath python-pip app", GET /healthz answers 200 "ok".

Listens on $PORT (default 8080); goldenpath-greeting (from the platform's Python index) makes the greeting.
"""
import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from goldenpath_greeting import greeting

BODIES = {"/": (greeting("python-pip") + "\n").encode(), "/healthz": b"ok\n"}


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        body = BODIES.get(self.path.split("?", 1)[0])
        self.send_response(200 if body else 404)
        body = body or b"not found\n"
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


if __name__ == "__main__":
    port = int(os.environ.get("PORT", "8080"))
    print(f"sample-python-pip listening on :{port}", flush=True)
    ThreadingHTTPServer(("", port), Handler).serve_forever()
