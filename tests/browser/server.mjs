// A tiny static file server for the page (node's http module only), bound to 127.0.0.1.
//   import { startServer } from './server.mjs';
//   const server = await startServer({ root: 'web', overlay: { '/models/vae.safetensors': bytes } });
//   … server.url …;  await server.close();
// Command line (serves web/ for a manual look):  node tests/browser/server.mjs [root] [port]
// `mounts` maps a URL prefix to a directory served under it: the command line (scripts/demo) and the
// browser tests mount the repository's data/ at /data/, so the page's Train section finds MNIST
// next to the page (data/mnist/…).
// `overlay` maps URL paths to in-memory bytes, served only when no such file exists under root
// (the browser tests use it for placeholder weights until web/models/ ships trained ones).
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.safetensors': 'application/octet-stream',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
};

export function startServer({ root, port = 0, overlay = {}, mounts = {} } = {}) {
  const roots = Object.entries(mounts).map(([prefix, dir]) => [prefix, path.resolve(dir)]);
  const server = http.createServer((req, res) => {
    let pathname;
    try {
      pathname = decodeURIComponent(new URL(req.url, 'http://localhost').pathname);
    } catch {
      res.writeHead(400).end('bad request');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' }).end();
      return;
    }
    if (pathname.endsWith('/')) pathname += 'index.html';
    let base = path.resolve(root);
    let rel = pathname;
    for (const [prefix, dir] of roots) {
      if (pathname.startsWith(prefix)) {
        base = dir;
        rel = pathname.slice(prefix.length - 1);
        break;
      }
    }
    const file = path.join(base, rel);
    if (file !== base && !file.startsWith(base + path.sep)) {
      res.writeHead(403).end('forbidden');
      return;
    }
    const type = MIME[path.extname(file).toLowerCase()] || 'application/octet-stream';
    fs.readFile(file, (err, data) => {
      if (err && overlay[pathname]) data = Buffer.from(overlay[pathname]);
      else if (err) {
        res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end(`not found: ${pathname}`);
        return;
      }
      res.writeHead(200, { 'Content-Type': type, 'Content-Length': data.length, 'Cache-Control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : data);
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const { port: actual } = server.address();
      resolve({
        url: `http://127.0.0.1:${actual}/`,
        port: actual,
        close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(() => r()); }),
      });
    });
  });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const root = process.argv[2] || path.join(here, '../../web');
  const port = Number(process.argv[3] || 8080);
  const server = await startServer({ root, port, mounts: { '/data/': path.join(here, '../../data') } });
  console.log(`serving ${path.resolve(root)} at ${server.url}`);
}
