"""goldenpath sample Python app: GET / answers "hello from goldenpath python app", GET /healthz answers 200 "ok".

Listens on $PORT (default 8080); standard library only.
"""
import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

BODIES = {"/": b"hello from goldenpath python app\n", "/healthz": b"ok\n"}


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
    print(f"sample-python listening on :{port}", flush=True)
    ThreadingHTTPServer(("", port), Handler).serve_forever()
