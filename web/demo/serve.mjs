// Static file server for the demo (scripts/serve-demo): serves the repository root on 127.0.0.1
// only, GET/HEAD only, with the MIME types the page needs (.mjs/.js as JavaScript, .wasm as
// application/wasm so that WebAssembly.instantiateStreaming works, .onnx as octet-stream).
//
// No COOP/COEP headers: the demo sets ort.env.wasm.numThreads = 1. The clustering core
// (web/dist/vlc_wasm.*) is single-threaded anyway, the machines this is meant for often have 2
// cores, threads would make results depend on scheduling, and cross-origin isolation
// (COEP: require-corp) would make a CLIP export on another host fail to load unless that host
// also sends Cross-Origin-Resource-Policy headers; static hosts (GitHub Pages, ...) cannot set
// them either. WebGPU, when available, is where the speed comes from.
import { createServer } from 'node:http';
import { createReadStream, statSync } from 'node:fs';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.onnx': 'application/octet-stream',
  '.bin': 'application/octet-stream',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/plain; charset=utf-8',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
};

/**
 * Starts the server. port 0 picks a free port.
 * @param {{port?: number, root?: string, log?: boolean, cors?: boolean}} [options] cors: send
 *   Access-Control-Allow-Origin: * (to play a model host on another origin; not for the demo itself)
 * @returns {Promise<{server: import('node:http').Server, url: string, port: number}>}
 */
export function startServer({ port = 8080, root = ROOT, log = false, cors = false } = {}) {
  const server = createServer((req, res) => {
    const send = (status, body, type = 'text/plain; charset=utf-8') => {
      // with CORS on errors too: a model host's 404 must reach the page as a 404 (models.js then
      // tries the next layout), not as an opaque network error
      res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store', ...(cors ? { 'Access-Control-Allow-Origin': '*' } : {}) });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'method not allowed\n');
    let path;
    try {
      path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    } catch {
      return send(400, 'bad request\n');
    }
    if (path === '/') {
      res.writeHead(302, { Location: '/web/demo/' });
      return res.end();
    }
    const file = normalize(join(root, path));
    if (file !== root && !file.startsWith(root.endsWith(sep) ? root : root + sep)) return send(403, 'forbidden\n');
    let target = file;
    let st;
    try {
      st = statSync(target);
      if (st.isDirectory()) {
        if (!path.endsWith('/')) {
          res.writeHead(301, { Location: `${path}/` });
          return res.end();
        }
        target = join(target, 'index.html');
        st = statSync(target);
      }
    } catch {
      if (log) console.log(`404 ${path}`);
      return send(404, `not found: ${path}\n`);
    }
    if (log) console.log(`200 ${path}`);
    res.writeHead(200, {
      'Content-Type': MIME[extname(target).toLowerCase()] ?? 'application/octet-stream',
      'Content-Length': st.size,
      'Cache-Control': 'no-cache',
      'X-Content-Type-Options': 'nosniff',
      ...(cors ? { 'Access-Control-Allow-Origin': '*' } : {}),
    });
    if (req.method === 'HEAD') return res.end();
    createReadStream(target).pipe(res);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const p = /** @type {import('node:net').AddressInfo} */ (server.address()).port;
      resolve({ server, port: p, url: `http://127.0.0.1:${p}/` });
    });
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === normalize(process.argv[1])) {
  const arg = process.argv.indexOf('--port');
  const port = Number(arg > 0 ? process.argv[arg + 1] : process.env.PORT ?? 8080);
  const { url } = await startServer({ port, log: process.argv.includes('--log') });
  console.log(`vlcluster demo: ${url}web/demo/  (serving ${ROOT} on 127.0.0.1 only; Ctrl-C to stop)`);
}
