// The package in a bundled web app (issue 16): the fixture app web/test-apps/vite/ gets the two
// snippets of web/README.md "Using it with a bundler" as they are — the shell setup (run by bash;
// its `npm install vlcluster` installs the packed tarball instead, --prefer-offline from the npm
// cache, and CLIP_MODEL_DIR is the tiny model) and src/photos.js — then is built with Vite for
// production and run in headless Chromium: the WebAssembly core in the page and the photo
// pipeline in the package's Worker must both work, and no copy of onnxruntime-web may be bundled.
// Vite 7 comes from the repository's devDependencies.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium, loadPlaywright, missingBrowser, serveStatic } from '../test-apps/chromium.mjs';
import { readmeExample } from '../test-apps/readme.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const vite = join(root, 'node_modules/vite/bin/vite.js');
const playwright = await loadPlaywright();
const missing = missingBrowser(playwright)
  ?? (!existsSync(vite) ? 'vite is not installed (scripts/setup: npm install)' : null)
  ?? (!existsSync(join(root, 'web/dist/vlc_wasm.wasm')) ? 'web/dist not built (scripts/build-wasm)' : null);

/** The three onnxruntime-web files the README says the default providers (webgpu, then wasm) load. */
const ORT_FILES = ['ort.min.mjs', 'ort-wasm-simd-threaded.jsep.mjs', 'ort-wasm-simd-threaded.jsep.wasm'];

let tmp;
let app;

before(() => {
  if (missing) return;
  tmp = mkdtempSync(join(tmpdir(), 'vlc-vite-'));
  const env = { ...process.env, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' };
  const packed = JSON.parse(execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', tmp], { cwd: root, env, encoding: 'utf8' }))[0];
  app = join(tmp, 'app');
  cpSync(join(root, 'web/test-apps/vite'), app, { recursive: true });
  writeFileSync(join(app, 'package.json'), '{"name": "vite-app", "version": "1.0.0", "private": true, "type": "module"}\n');
  const setup = readmeExample('bundler-setup');
  assert.match(setup, /^npm install vlcluster$/m);
  const install = `npm install --prefer-offline --no-audit --no-fund '${join(tmp, packed.filename)}'`;
  execFileSync('bash', ['-euo', 'pipefail', '-c', setup.replace(/^npm install vlcluster$/m, install)], {
    cwd: app, env: { ...env, CLIP_MODEL_DIR: join(root, 'models/tiny-clip') }, stdio: 'pipe',
  });
  mkdirSync(join(app, 'src'));
  writeFileSync(join(app, 'src/photos.js'), readmeExample('bundler'));
});

after(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

test('a Vite production build of an app using the packed package clusters in Chromium, through the Worker', { skip: missing ?? false, timeout: 180000 }, async () => {
  const log = execFileSync(process.execPath, [vite, 'build', '--logLevel', 'warn'], { cwd: app, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  assert.doesNotMatch(log, /warn|error/i, `vite build printed warnings: ${log}`);
  const assets = readdirSync(join(app, 'dist/assets'));
  assert.ok(assets.some((f) => /^vlc_wasm-.*\.wasm$/.test(f)), `the core's .wasm is emitted (${assets})`);
  assert.ok(assets.some((f) => /^worker-.*\.js$/.test(f)), `the worker is its own bundle (${assets})`);
  assert.ok(!assets.some((f) => f.includes('ort')), `no onnxruntime-web file was bundled (${assets})`);
  const js = assets.filter((f) => /\.m?js$/.test(f)).reduce((s, f) => s + statSync(join(app, 'dist/assets', f)).size, 0);
  assert.ok(js < 300 * 1024, `${js} bytes of JS: no copy of onnxruntime-web (its ort.min.mjs alone is 368 KB)`);

  const server = await serveStatic(join(app, 'dist'));
  const browser = await launchChromium(playwright);
  try {
    const page = await browser.context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${server.base}/`);
    await page.waitForFunction(() => window.result !== undefined, null, { timeout: 150000 });
    const r = await page.evaluate(() => window.result);
    assert.equal(r.error, undefined, `the app failed: ${r.error}`);
    // The core in the page: the 3 groups of the embeddings.
    assert.equal(r.embeddingLabels.length, 30);
    assert.deepEqual([0, 1, 2].map((g) => new Set(r.embeddingLabels.filter((_, i) => i % 3 === g)).size), [1, 1, 1]);
    assert.equal(new Set(r.embeddingLabels).size, 3);
    // The pipeline in the worker: 12 photos, 3 colours, one cluster each.
    assert.equal(r.labels.length, 12);
    assert.deepEqual(r.errors, []);
    assert.equal(r.k, 3);
    assert.deepEqual([0, 1, 2].map((g) => new Set(r.labels.filter((_, i) => i % 3 === g)).size), [1, 1, 1], `labels ${r.labels}`);
    assert.equal(r.backend, 'wasm');
    assert.deepEqual(errors, []);
    const ort = [...new Set(server.requests.filter((p) => p.startsWith('/ort/')))].sort();
    assert.deepEqual(readdirSync(join(app, 'public/ort')).sort(), [...ORT_FILES].sort(), 'the README copies the three files');
    assert.deepEqual(ort, ORT_FILES.map((f) => `/ort/${f}`).sort(), 'ort loads exactly the three documented files');
    assert.deepEqual(browser.offsite, [], 'no request left 127.0.0.1');
  } finally {
    await browser.close();
    await server.close();
  }
});
