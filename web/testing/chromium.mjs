// Shared by the headless-Chromium tests (web/test/browser.test.mjs, web/test/bundler.test.mjs): a
// static file server on 127.0.0.1 and Debian's Chromium through playwright-core, with every
// request that is not for 127.0.0.1 aborted and counted. (This file is outside web/test/, where
// node --test would run it as a test file.)
import { createServer } from 'node:http';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';

export const CHROMIUM = process.env.VLC_CHROMIUM ?? '/usr/bin/chromium';

const TYPES = {
  '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.json': 'application/json',
  '.wasm': 'application/wasm', '.onnx': 'application/octet-stream', '.bin': 'application/octet-stream', '.txt': 'text/plain',
};

/** playwright-core, or null when it is not installed. */
export async function loadPlaywright() {
  try {
    return await import('playwright-core');
  } catch {
    return null;
  }
}

/** Why the browser tests cannot run here (null when they can). @param {any} playwright */
export function missingBrowser(playwright) {
  if (!playwright) return 'playwright-core is not installed';
  if (!existsSync(CHROMIUM)) return `${CHROMIUM} not found`;
  return null;
}

/**
 * Serves the files under `root` (and `pages`, path -> HTML) on 127.0.0.1; `requests` records
 * every path asked for. @param {string} root @param {Record<string, string>} [pages]
 */
export async function serveStatic(root, pages = {}) {
  const requests = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    requests.push(url.pathname);
    if (pages[url.pathname]) {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(pages[url.pathname]);
      return;
    }
    const path = normalize(join(root, decodeURIComponent(url.pathname === '/' ? '/index.html' : url.pathname)));
    if (!path.startsWith(root) || !existsSync(path) || !statSync(path).isFile()) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[/** @type {keyof TYPES} */ (extname(path))] ?? 'application/octet-stream' });
    res.end(readFileSync(path));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
  const address = /** @type {import('node:net').AddressInfo} */ (server.address());
  return {
    base: `http://127.0.0.1:${address.port}`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve(undefined))),
  };
}

/**
 * Headless Chromium with a fresh profile; `offsite` collects the requests that were aborted
 * because they did not go to 127.0.0.1. @param {any} playwright
 */
export async function launchChromium(playwright) {
  const userDir = mkdtempSync(join(tmpdir(), 'vlc-chromium-'));
  const context = await playwright.chromium.launchPersistentContext(userDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run'],
  });
  /** @type {string[]} */
  const offsite = [];
  await context.route('**/*', (/** @type {any} */ route) => {
    const u = new URL(route.request().url());
    if (u.hostname === '127.0.0.1' || u.protocol === 'blob:' || u.protocol === 'data:') return route.continue();
    offsite.push(u.href);
    return route.abort();
  });
  return {
    context,
    offsite,
    close: async () => {
      await context.close();
      rmSync(userDir, { recursive: true, force: true });
    },
  };
}
