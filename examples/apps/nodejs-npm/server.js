// goldenpath sample Node.js app: GET / answers "hello from goldenpath nodejs-npm app", GET /healthz answers 200 "ok".
// Listens on $PORT (default 8080); "ms" (from the platform's npm registry) formats the uptime on /healthz.
"use strict";
const http = require("http");
const ms = require("ms");

const port = Number(process.env.PORT || 8080);

const server = http.createServer((req, res) => {
  const path = new URL(req.url, "http://localhost").pathname;
  if (req.method === "GET" && path === "/") {
    res.writeHead(200, { "Content-Type": "text/plain; charset=utf-8" });
    res.end("hello from goldenpath nodejs-npm app\n");
  } else if (req.method === "GET" && path === "/healthz") {
    res.writeHead(200, { "Content-Type": "text/plain; charset=utf-8" });
    res.end("ok (up " + ms(Math.round(process.uptime() * 1000)) + ")\n");
  } else {
    res.writeHead(404, { "Content-Type": "text/plain; charset=utf-8" });
    res.end("not found\n");
  }
});

server.listen(port, () => console.log(`sample-nodejs-npm listening on :${port}`));
process.on("SIGTERM", () => server.close(() => process.exit(0)));
