// The package in a bundled web app (issue 16): the fixture app web/testing/app/ gets the two
// snippets of web/README.md "Using it with a bundler" as they are — the shell setup (run by bash;
// its `npm install vlcluster` installs the packed tarball instead, --prefer-offline from the npm
// cache, and CLIP_MODEL_DIR is the tiny model) and src/photos.js — then is built with Vite for
// production and run in headless Chromium: the WebAssembly core in the page and the photo
// pipeline in the package's Worker must both work, and no copy of onnxruntime-web may be bundled.
// The same app is then built with webpack 5 (no config but entry and output), and with esbuild,
// which does not handle `new URL(…, import.meta.url)`: there the README's esbuild snippets (copies
// of the package's files, workerUrl and wasmUrl) are used. Vite 7, webpack 5 and esbuild come from
// the repository's devDependencies.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium, loadPlaywright, missingBrowser, serveStatic } from '../testing/chromium.mjs';
import { readmeExample } from '../testing/readme.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const vite = join(root, 'node_modules/vite/bin/vite.js');
const webpack = await import('webpack').then((m) => m.default, () => null);
const esbuild = await import('esbuild').catch(() => null);
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
  cpSync(join(root, 'web/testing/app'), app, { recursive: true });
  writeFileSync(join(app, 'package.json'), '{"name": "vite-app", "version": "1.0.0", "private": true, "type": "module"}\n');
  const setup = readmeExample('bundler-setup');
  assert.match(setup, /^npm install vlcluster$/m);
  const install = `npm install --prefer-offline --no-audit --no-fund '${join(tmp, packed.filename)}'`;
  execFileSync('bash', ['-euo', 'pipefail', '-c', setup.replace(/^npm install vlcluster$/m, install)], {
    cwd: app, env: { ...env, CLIP_MODEL_DIR: join(root, 'models/tiny-clip') }, stdio: 'pipe',
  });
  writeFileSync(join(app, 'src/photos.js'), readmeExample('bundler'));
});

after(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

/** JS files among a build's assets add up to less than one copy of onnxruntime-web's ort.min.mjs (368 KB). */
function checkNoOrt(dir, files) {
  assert.ok(!files.some((f) => f.includes('ort')), `no onnxruntime-web file was bundled (${files})`);
  const js = files.filter((f) => /\.m?js$/.test(f)).reduce((s, f) => s + statSync(join(dir, f)).size, 0);
  assert.ok(js < 300 * 1024, `${js} bytes of JS: no copy of onnxruntime-web`);
}

/**
 * Serves a built app, opens it in Chromium and checks what main.js reports: the core clustered
 * the embeddings in the page, the worker clustered the photos, ort loaded the three files.
 * @param {string} dist the built app, with the public/ files beside it
 */
async function runBuiltApp(dist) {
  const server = await serveStatic(dist);
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
    assert.deepEqual(ort, ORT_FILES.map((f) => `/ort/${f}`).sort(), 'ort loads exactly the three documented files');
    assert.deepEqual(browser.offsite, [], 'no request left 127.0.0.1');
  } finally {
    await browser.close();
    await server.close();
  }
}

test('the README setup copies the three ort files', { skip: missing ?? false }, () => {
  assert.deepEqual(readdirSync(join(app, 'public/ort')).sort(), [...ORT_FILES].sort());
});

test('a Vite production build of the app clusters in Chromium, in the page and through the Worker', { skip: missing ?? false, timeout: 180000 }, async () => {
  const log = execFileSync(process.execPath, [vite, 'build', '--logLevel', 'warn'], { cwd: app, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  assert.doesNotMatch(log, /warn|error/i, `vite build printed warnings: ${log}`);
  const assets = readdirSync(join(app, 'dist/assets'));
  assert.ok(assets.some((f) => /^vlc_wasm-.*\.wasm$/.test(f)), `the core's .wasm is emitted (${assets})`);
  assert.ok(assets.some((f) => /^worker-.*\.js$/.test(f)), `the worker is its own bundle (${assets})`);
  checkNoOrt(join(app, 'dist/assets'), assets);
  await runBuiltApp(join(app, 'dist'));  // Vite copies public/ into dist/
});

test('a webpack 5 production build of the app (no loaders, no plugins) clusters in Chromium too', { skip: (missing ?? (!webpack && 'webpack is not installed')) || false, timeout: 180000 }, async () => {
  const out = join(app, 'dist-webpack');
  const stats = await new Promise((resolve, reject) => {
    webpack({ mode: 'production', context: app, entry: './main.js', output: { path: out }, performance: { hints: false } })
      .run((err, s) => (err ? reject(err) : resolve(s)));
  });
  const info = stats.toJson({ all: false, errors: true, warnings: true });
  assert.deepEqual([...info.errors, ...info.warnings].map((e) => e.message), [], 'webpack: no errors or warnings');
  const assets = readdirSync(out);
  assert.ok(assets.some((f) => f.endsWith('.wasm')), `the core's .wasm is emitted (${assets})`);
  assert.ok(assets.filter((f) => f.endsWith('.js')).length >= 2, `the worker is its own chunk (${assets})`);
  checkNoOrt(out, assets);
  // webpack makes no HTML page and has no public/ folder: the app's server serves both.
  writeFileSync(join(out, 'index.html'), '<!doctype html><meta charset="utf-8"><pre id="out">running</pre><script src="./main.js"></script>\n');
  cpSync(join(app, 'public'), out, { recursive: true });
  await runBuiltApp(out);
});

test('an esbuild bundle of the app, with the README\'s copies and workerUrl/wasmUrl, clusters in Chromium', { skip: (missing ?? (!esbuild && 'esbuild is not installed')) || false, timeout: 180000 }, async () => {
  const out = join(app, 'dist-esbuild');
  const files = join(app, 'src/files.js');
  const original = readFileSync(files, 'utf8');
  execFileSync('bash', ['-euo', 'pipefail', '-c', readmeExample('esbuild-setup')], { cwd: app, stdio: 'pipe' });
  writeFileSync(files, readmeExample('esbuild'));
  try {
    const result = await esbuild.build({ entryPoints: [join(app, 'main.js')], bundle: true, format: 'esm', outfile: join(out, 'main.js'), logLevel: 'silent' });
    assert.deepEqual([...result.errors, ...result.warnings].map((m) => m.text), [], 'esbuild: no errors or warnings');
  } finally {
    writeFileSync(files, original);
  }
  checkNoOrt(out, readdirSync(out));
  writeFileSync(join(out, 'index.html'), '<!doctype html><meta charset="utf-8"><pre id="out">running</pre><script type="module" src="./main.js"></script>\n');
  cpSync(join(app, 'public'), out, { recursive: true });
  await runBuiltApp(out);
});

/** Starts `vite` (the dev server) in the app on a free port; resolves to {url, stop}. */
async function startViteDev() {
  const child = spawn(process.execPath, [vite, '--host', '127.0.0.1', '--port', '0', '--clearScreen', 'false'], { cwd: app, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`vite dev did not start: ${output}`)), 60000);
    const read = (/** @type {Buffer} */ chunk) => {
      output += chunk;
      // eslint-disable-next-line no-control-regex
      const m = /Local:\s+(http:\/\/127\.0\.0\.1:\d+\/)/.exec(output.replace(/\x1b\[[0-9;]*m/g, ''));
      if (m) { clearTimeout(timer); resolve(m[1]); }
    };
    child.stdout.on('data', read);
    child.stderr.on('data', read);
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`vite dev exited with ${code}: ${output}`)); });
  });
  return { url, stop: () => new Promise((resolve) => { child.once('exit', resolve); child.kill('SIGTERM'); }) };
}

test('vite dev with the README\'s vite.config.js serves the app, and it clusters in Chromium', { skip: missing ?? false, timeout: 180000 }, async () => {
  writeFileSync(join(app, 'vite.config.js'), readmeExample('vite-dev'));
  const dev = await startViteDev();
  const browser = await launchChromium(playwright);
  try {
    const page = await browser.context.newPage();
    await page.goto(dev.url);
    await page.waitForFunction(() => window.result !== undefined, null, { timeout: 150000 });
    const r = await page.evaluate(() => window.result);
    assert.equal(r.error, undefined, `the app failed under vite dev: ${r.error}`);
    assert.equal(new Set(r.embeddingLabels).size, 3);
    assert.deepEqual([0, 1, 2].map((g) => new Set(r.labels.filter((_, i) => i % 3 === g)).size), [1, 1, 1], `labels ${r.labels}`);
    assert.deepEqual(browser.offsite, [], 'no request left 127.0.0.1');
  } finally {
    await browser.close();
    await dev.stop();
  }
});
