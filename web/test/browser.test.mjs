// clusterImages() end to end in headless Chromium (playwright-core, /usr/bin/chromium): a page served
// by a node http server on 127.0.0.1 (the repository root) draws 3 groups × 4 images in a canvas,
// adds bad inputs, and runs the whole pipeline (module worker, onnxruntime-web WASM, tiny CLIP model,
// the WASM clustering core). Every request that is not for 127.0.0.1 is aborted and counted.
// Skipped when Chromium, playwright-core or web/dist (scripts/build-wasm) are missing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium, loadPlaywright, missingBrowser, serveStatic } from '../testing/chromium.mjs';
import { serveHub, TINY_NOUN_SELECTION as TINY_SELECTION } from '../testing/hub.mjs';
import { loadVocabulary } from '../src/vocabulary.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const playwright = await loadPlaywright();
const missing = missingBrowser(playwright)
  ?? (!existsSync(join(root, 'web/dist/vlc_wasm.mjs')) ? 'web/dist/vlc_wasm.mjs missing (scripts/build-wasm)' : null);

const PAGE = `<!doctype html><meta charset="utf-8"><title>vlcluster browser test</title>
<script type="module">
import * as vlc from '/web/src/index.js';
window.vlc = vlc;
window.ready = true;
</script>`;

let server;
let hub;
let browser;
let page;
let offsite = [];

before(async () => {
  if (missing) return;
  server = await serveStatic(root, { '/test.html': PAGE });
  hub = await serveHub();
  browser = await launchChromium(playwright);
  offsite = browser.offsite;
  page = await browser.context.newPage();
  page.on('console', (m) => { if (process.env.VLC_BROWSER_LOG) console.log(`[page] ${m.text()}`); });
  await page.goto(`${server.base}/test.html`);
  await page.waitForFunction(() => window.ready === true, null, { timeout: 30000 });
});

after(async () => {
  await browser?.close();
  await server?.close();
  await hub?.close();
});

// Runs in the page: 3 groups × 4 PNGs (red blobs, green stripes, blue checkerboards) with small
// per-image variation, plus the bad inputs; then clusterImages with the tiny model.
async function runInPage(opts) {
  const { model, extraBad, k, hubUrl, nounSelection } = opts;
  async function png(w, h, draw) {
    const c = new OffscreenCanvas(w, h);
    const ctx = c.getContext('2d');
    draw(ctx, w, h);
    return c.convertToBlob({ type: 'image/png' });
  }
  const files = [];
  const groups = [];
  for (let g = 0; g < 3; g++) {
    for (let i = 0; i < 4; i++) {
      const blob = await png(96, 80, (ctx, w, h) => {
        if (g === 0) {
          ctx.fillStyle = `rgb(${200 + 10 * i}, 30, 30)`; ctx.fillRect(0, 0, w, h);
          ctx.fillStyle = 'rgb(255, 200, 0)'; ctx.beginPath(); ctx.arc(w / 2, h / 2, 20, 0, 7); ctx.fill();
        } else if (g === 1) {
          ctx.fillStyle = 'rgb(10, 120, 20)'; ctx.fillRect(0, 0, w, h);
          ctx.fillStyle = `rgb(200, 255, ${200 + 10 * i})`;
          for (let x = 0; x < w; x += 12) ctx.fillRect(x, 0, 5, h);
        } else {
          for (let y = 0; y < h; y += 10) for (let x = 0; x < w; x += 10) {
            ctx.fillStyle = ((x + y) / 10) % 2 ? `rgb(20, 20, ${180 + 15 * i})` : 'rgb(240, 240, 255)';
            ctx.fillRect(x, y, 10, 10);
          }
        }
      });
      files.push(new File([blob], `group${g}-${i}.png`, { type: 'image/png' }));
      groups.push(g);
    }
  }
  const bad = {};
  if (extraBad) {
    const add = (f) => { bad[files.length] = f.name; files.push(f); groups.push(-1); };
    add(new File(['just some text\n'], 'notes.txt', { type: 'text/plain' }));
    add(new File([new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 16, 0x4a, 0x46, 0x49, 0x46, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9])], 'corrupt.jpg', { type: 'image/jpeg' }));
    add(new File([], 'empty.png', { type: 'image/png' }));
    add(new File([await png(1, 1, (ctx) => { ctx.fillStyle = 'red'; ctx.fillRect(0, 0, 1, 1); })], 'pixel.png', { type: 'image/png' }));
  }
  const stages = new Set();
  const progress = [];
  try {
    const result = await window.vlc.clusterImages(files, {
      model,
      ...(hubUrl ? { hubUrl, nounSelection } : {}),
      k,
      ...(k === 'auto' ? { kmax: 5 } : {}),  // the core refuses kmax with a fixed k
      seed: 0,
      numThreads: 1,
      ortUrl: '/node_modules/onnxruntime-web/dist/ort.min.mjs',
      wasmPaths: '/node_modules/onnxruntime-web/dist/',
      onProgress: (p) => { stages.add(p.stage); progress.push(p); },
    });
    return { ok: true, result, groups, bad, stages: [...stages], progressOk: progress.every((p) => p.done <= p.total) };
  } catch (e) {
    return { ok: false, name: e.name, message: e.message, stages: [...stages] };
  }
}

test('clusterImages in headless Chromium: groups, WASM backend after WebGPU, bad files reported', { skip: missing ?? false, timeout: 240000 }, async () => {
  const out = await page.evaluate(runInPage, { model: '/models/tiny-clip/', extraBad: true, k: 'auto' });
  assert.ok(out.ok, `clusterImages failed: ${out.message}`);
  const r = out.result;
  // Each generated group lands in one cluster, and different groups in different clusters.
  const clusterOf = new Map();
  out.groups.forEach((g, i) => {
    if (g < 0) return;
    const c = r.labels[i];
    assert.ok(c >= 0, `file ${i} was clustered`);
    if (clusterOf.has(g)) assert.equal(c, clusterOf.get(g), `group ${g} is split (labels ${JSON.stringify(r.labels)})`);
    clusterOf.set(g, c);
  });
  assert.equal(new Set(clusterOf.values()).size, 3, `3 groups, 3 clusters (labels ${JSON.stringify(r.labels)})`);
  // The 2-D map per file, like labels: a point for every clustered file, NaN for the bad ones.
  assert.equal(r.embedding2d.length, 2 * out.groups.length);
  out.groups.forEach((g, i) => {
    const p = [r.embedding2d[2 * i], r.embedding2d[2 * i + 1]];
    assert.ok(g < 0 ? p.every(Number.isNaN) : p.every(Number.isFinite), `file ${i}: map point ${p}`);
  });
  assert.equal(r.k, 3);
  assert.ok(Array.isArray(r.kCurve) && r.kCurve.length === 4, 'automatic K curve over 2..5');
  // Clusters: names from the vocabulary, runners-up, members are file indices.
  assert.equal(r.clusters.length, 3);
  for (const c of r.clusters) {
    assert.equal(typeof c.name, 'string');
    assert.ok(c.name.length > 0);
    assert.ok(Array.isArray(c.runnersUp) && c.runnersUp.every((x) => typeof x.noun === 'string' && x.share > 0));
    assert.equal(c.members.length, 4);
  }
  // Backend: WebGPU tried first, WASM used, the reason visible.
  assert.equal(r.backend, 'wasm');
  assert.match(r.fallbackReason, /^webgpu: /);
  // Bad inputs: one error each, naming the file; their labels are -1.
  const byFile = Object.fromEntries(r.errors.map((e) => [e.file, e]));
  assert.deepEqual(Object.keys(byFile).sort(), ['corrupt.jpg', 'empty.png', 'notes.txt', 'pixel.png']);
  for (const [index, name] of Object.entries(out.bad)) {
    assert.equal(byFile[name].index, Number(index));
    assert.ok(byFile[name].message.startsWith(`${name}: `), byFile[name].message);
    assert.equal(r.labels[Number(index)], -1);
  }
  assert.match(byFile['notes.txt'].message, /not an image/);
  assert.match(byFile['empty.png'].message, /empty \(0 bytes\)/);
  assert.match(byFile['corrupt.jpg'].message, /cannot decode/);
  assert.match(byFile['pixel.png'].message, /1×1 pixels/);
  for (const s of ['load', 'decode', 'encode-images', 'filter', 'encode-texts', 'cluster', 'name']) {
    assert.ok(out.stages.includes(s), `progress stage ${s}`);
  }
  assert.ok(out.progressOk);
  assert.deepEqual(offsite, [], 'no request left 127.0.0.1');
});

test('clusterImages in Chromium: a model URL that 404s and a model with the wrong output name fail with clear errors', { skip: missing ?? false, timeout: 120000 }, async () => {
  const notFound = await page.evaluate(runInPage, { model: '/models/no-such-model/', extraBad: false, k: 3 });
  assert.equal(notFound.ok, false);
  assert.match(notFound.message, /no-such-model\/\S+/);
  assert.match(notFound.message, /404/);
  const broken = await page.evaluate(runInPage, {
    model: {
      vision: '/web/test/fixtures/tiny-clip-broken/vision_model.onnx',
      text: '/web/test/fixtures/tiny-clip-broken/text_model.onnx',
      vocab: '/web/test/fixtures/tiny-clip-broken/vocab.json',
      merges: '/web/test/fixtures/tiny-clip-broken/merges.txt',
      vocabulary: { json: '/models/tiny-clip/nouns.json', bin: '/models/tiny-clip/nouns.f16.bin' },
    },
    extraBad: false,
    k: 3,
  });
  assert.equal(broken.ok, false);
  assert.match(broken.message, /image_embeds/);
  assert.deepEqual(offsite, [], 'no request left 127.0.0.1');
});

test('clusterImages in Chromium: an AbortSignal stops the worker', { skip: missing ?? false, timeout: 120000 }, async () => {
  const out = await page.evaluate(async () => {
    const files = [];
    for (let i = 0; i < 6; i++) {
      const c = new OffscreenCanvas(32, 32);
      const ctx = c.getContext('2d');
      ctx.fillStyle = `rgb(${40 * i}, 100, 100)`;
      ctx.fillRect(0, 0, 32, 32);
      files.push(new File([await c.convertToBlob({ type: 'image/png' })], `x${i}.png`, { type: 'image/png' }));
    }
    const ac = new AbortController();
    const stages = [];
    try {
      await window.vlc.clusterImages(files, {
        model: '/models/tiny-clip/', k: 2, numThreads: 1, signal: ac.signal,
        ortUrl: '/node_modules/onnxruntime-web/dist/ort.min.mjs', wasmPaths: '/node_modules/onnxruntime-web/dist/',
        onProgress: (p) => { stages.push(p.stage); if (p.stage === 'decode') ac.abort(); },
      });
      return { ok: true };
    } catch (e) {
      return { ok: false, name: e.name, message: e.message, stages };
    }
  });
  assert.equal(out.ok, false);
  assert.equal(out.name, 'AbortError');
});

test('clusterImages in Chromium: the second run takes the kept nouns\' text embeddings from IndexedDB', { skip: missing ?? false, timeout: 120000 }, async () => {
  const first = await page.evaluate(runInPage, { model: '/models/tiny-clip/', extraBad: false, k: 3 });
  assert.ok(first.ok, first.message);
  const second = await page.evaluate(runInPage, { model: '/models/tiny-clip/', extraBad: false, k: 3 });
  assert.ok(second.ok, second.message);
  assert.ok(second.result.textCache.total > 0);
  assert.equal(second.result.textCache.hits, second.result.textCache.total);
  assert.deepEqual(Array.from(second.result.labels), Array.from(first.result.labels), 'same labels from cached embeddings');
});

test('Encoder.load in Chromium without `ort`: the package imports no onnxruntime-web by itself, and says what to pass', { skip: missing ?? false, timeout: 60000 }, async () => {
  const message = await page.evaluate(async () => {
    const { Encoder } = await import('/web/src/encoder.js');
    try {
      await Encoder.load({ vision: '/models/tiny-clip/vision_model.onnx' });
      return 'loaded';
    } catch (e) {
      return e.message;
    }
  });
  assert.match(message, /^Encoder\.load: no `ort` given, and import\('onnxruntime-web'\) failed \(.+\): pass ort \(import \* as ort from 'onnxruntime-web'\), or clusterImages' ortUrl/);
});


test('clusterImages in Chromium with a hub id: downloads (Cache Storage), builds the vocabulary on the device (IndexedDB); the second run asks the hub nothing', { skip: missing ?? false, timeout: 180000 }, async () => {
  const opts = { model: 'test/tiny-clip', hubUrl: hub.base, nounSelection: TINY_SELECTION, extraBad: false, k: 3 };
  const first = await page.evaluate(runInPage, opts);
  assert.ok(first.ok, first.message);
  assert.ok(first.stages.includes('download') && first.stages.includes('vocabulary'), first.stages.join(','));
  assert.ok(hub.requests.includes('/test/tiny-clip/resolve/main/onnx/vision_model.onnx'));
  assert.ok(hub.requests.includes('/test/tiny-clip/resolve/main/tokenizer.json'));
  assert.equal(first.result.clusters.length, 3);
  const n = hub.requests.length;
  const second = await page.evaluate(runInPage, opts);
  assert.ok(second.ok, second.message);
  assert.deepEqual(hub.requests.slice(n), [], 'model files from Cache Storage, the vocabulary from IndexedDB');
  assert.ok(!second.stages.includes('vocabulary'), 'no vocabulary build on the second run');
  assert.deepEqual(Array.from(second.result.labels), Array.from(first.result.labels));
  const cut = await page.evaluate(runInPage, { ...opts, model: 'test/tiny-clip-cut' });
  assert.equal(cut.ok, false);
  assert.match(cut.message, /download of vision model from http:\/\/127\.0\.0\.1:\d+\/test\/tiny-clip-cut\/resolve\/main\/onnx\/vision_model\.onnx (broke off|is incomplete)/);
  const noHub = await page.evaluate(runInPage, { ...opts, hubUrl: undefined });
  assert.equal(noHub.ok, false);
  assert.match(noHub.message, /model "test\/tiny-clip" is a hub id, but no hub is configured: set the hubUrl option to the base URL/);
  assert.deepEqual(offsite, [], 'no request left 127.0.0.1');
});

test('the vocabulary built in Chromium (onnxruntime-web, batches cut to their longest text) equals the node-built asset within float16 (max |Δ| ≤ 2e-3)', { skip: missing ?? false, timeout: 120000 }, async () => {
  const built = await page.evaluate(async ({ hubUrl, sel }) => {
    const ort = await import('/node_modules/onnxruntime-web/dist/ort.min.mjs');
    ort.env.wasm.wasmPaths = '/node_modules/onnxruntime-web/dist/';
    ort.env.wasm.numThreads = 1;
    const { Encoder } = await import('/web/src/encoder.js');
    const { resolveModel } = await import('/web/src/models.js');
    const { deviceVocabularyAsset } = await import('/web/src/vocabulary.js');
    const m = await resolveModel('test/tiny-clip-vm', { hubUrl });
    const enc = await Encoder.load({ text: m.text, vocab: m.vocab, merges: m.merges, ort, executionProviders: ['wasm'] });
    const asset = await deviceVocabularyAsset(enc, 'chromium-check', { nounSelection: sel, cache: false });
    return { trims: enc.textTakesAnyLength, json: Array.from(asset.json), bin: Array.from(asset.bin) };
  }, { hubUrl: hub.base, sel: TINY_SELECTION });
  assert.equal(built.trims, true);
  const mine = await loadVocabulary({ json: new Uint8Array(built.json), bin: new Uint8Array(built.bin) });
  const ref = await loadVocabulary({ json: join(root, 'models/tiny-clip/nouns.json'), bin: join(root, 'models/tiny-clip/nouns.f16.bin') });
  assert.deepEqual(mine.words, ref.words);
  let worst = 0;
  for (let i = 0; i < ref.embeddings.length; i++) worst = Math.max(worst, Math.abs(mine.embeddings[i] - ref.embeddings[i]));
  assert.ok(worst <= 2e-3, `max |Δ| = ${worst}`);
});
