// The demo web app (web/demo/) end to end in Debian's headless Chromium (playwright-core; no
// browser is downloaded), plus node-only checks of its ZIP writer, CSV and map helpers.
//
// Photos are generated in the page (canvas -> JPEG File objects): 3 visually distinct groups × 4,
// plus three broken files (a text file named .jpg, a corrupt JPEG, a zero-byte file). They are
// dropped on the page with a DataTransfer; the real pipeline runs (tiny CLIP model on
// onnxruntime-web WASM, the WebAssembly clustering core from web/dist). Every request of the
// browser is recorded and must stay on the page's origin (blob: URLs of the page's own files
// included: they are local objects of that origin, not network requests).
// Screenshots: web/demo/screenshots/ (1280×800 and 390×844).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import { chromium } from 'playwright-core';
import { startServer } from '../serve.mjs';
import { syntheticPhoto } from '../bench.mjs';
import { loadVlcModule } from '../../src/cluster.js';
import { serveHub } from '../../testing/hub.mjs';
import {
  crc32, makeZip, toCSV, pca2d, zipLayout, safeName, eta, formatDuration, fanOut, etaRecent, uniqueNames, nextPointTowards, summaryLine,
} from '../lib.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const shots = join(here, '..', 'screenshots');
const root = fileURLToPath(new URL('../../../', import.meta.url));
const haveCore = existsSync(join(root, 'web/dist/vlc_wasm.mjs')) && existsSync(join(root, 'web/dist/vlc_wasm.wasm'));
const CHROMIUM = '/usr/bin/chromium';
const TIMEOUT = 90_000;
const PYTHON = '/usr/bin/python3';

/** Names in a ZIP as Python's zipfile reads them (UTF-8 flag honoured), after its CRC check. */
function zipNames(/** @type {string} */ path) {
  const out = execFileSync(PYTHON, ['-c', [
    'import json, sys, zipfile',
    'z = zipfile.ZipFile(sys.argv[1])',
    'bad = z.testzip()',
    'print(json.dumps({"bad": bad, "names": z.namelist(), "methods": sorted({i.compress_type for i in z.infolist()})}))',
  ].join('\n'), path], { encoding: 'utf8' });
  const r = JSON.parse(out);
  assert.equal(r.bad, null, `zipfile.testzip: bad CRC in ${r.bad}`);
  assert.deepEqual(r.methods, [0], 'every entry is STORED');
  return /** @type {string[]} */ (r.names);
}

// ---------------------------------------------------------------------------------------------
// Node-only: helpers of web/demo/lib.js

test('crc32: the standard check value and incremental use', () => {
  const b = new TextEncoder().encode('123456789');
  assert.equal(crc32(b), 0xcbf43926);
  assert.equal(crc32(b.subarray(4), crc32(b.subarray(0, 4))), 0xcbf43926);
  assert.equal(crc32(new Uint8Array(0)), 0);
  const big = new Uint8Array(100_000).map((_, i) => (i * 31) & 255);
  if (zlib.crc32) assert.equal(crc32(big), zlib.crc32(big));
});

test('makeZip: a STORE-only archive that unzip accepts (CRCs, UTF-8 names, folders)', async () => {
  const files = [
    { name: 'a.jpg', bytes: new Uint8Array([0xff, 0xd8, 1, 2, 3]) },
    { name: 'b.png', bytes: new Uint8Array(5000).map((_, i) => i & 255) },
    { name: 'a.jpg', bytes: new Uint8Array([9, 9]) },
    { name: 'ünï cødé.jpg', bytes: new TextEncoder().encode('x') },
  ].map((f) => new File([f.bytes], f.name, { lastModified: Date.UTC(2024, 4, 6, 12, 0, 0) }));
  const entries = zipLayout([
    { id: 0, name: 'beach/sea:1', members: [0, 1] },
    { id: 1, name: 'dog', members: [2, 3] },
  ], files);
  assert.deepEqual(entries.map((e) => e.name), ['01 beach_sea_1/a.jpg', '01 beach_sea_1/b.png', '02 dog/a.jpg', '02 dog/ünï cødé.jpg']);
  const zip = await makeZip(entries);
  const dir = mkdtempSync(join(tmpdir(), 'vlc-demo-zip-'));
  try {
    const path = join(dir, 'x.zip');
    writeFileSync(path, new Uint8Array(await zip.arrayBuffer()));
    const t = execFileSync('unzip', ['-t', path], { encoding: 'utf8' });
    assert.match(t, /No errors detected/);
    assert.deepEqual(zipNames(path), entries.map((e) => e.name));
    execFileSync('unzip', ['-q', path, '-d', join(dir, 'out')]);
    assert.deepEqual(new Uint8Array(readFileSync(join(dir, 'out', '01 beach_sea_1', 'b.png'))), new Uint8Array(await files[1].arrayBuffer()));
    assert.deepEqual([...readFileSync(join(dir, 'out', '02 dog', 'a.jpg'))], [9, 9]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  // Same name twice in one cluster -> numbered.
  const twice = zipLayout([{ id: 0, name: 'x', members: [0, 2] }], files).map((e) => e.name);
  assert.deepEqual(twice, ['01 x/a.jpg', '01 x/a (2).jpg']);
  assert.equal(safeName('..'), '_');
});

test('toCSV: one row per clustered file, RFC 4180 quoting', () => {
  const files = ['p1.jpg', 'with,comma.jpg', 'q"uote.jpg'].map((n) => new File([], n));
  const csv = toCSV([{ id: 4, name: 'beach, "sunny"', members: [2, 0] }, { id: 1, name: 'dog', members: [1] }], files);
  assert.equal(csv, 'file,cluster_id,cluster_name\r\np1.jpg,4,"beach, ""sunny"""\r\n"with,comma.jpg",1,dog\r\n"q""uote.jpg",4,"beach, ""sunny"""\r\n');
});

test('fanOut: points on one spot spread around it, every one apart; lone points stay', () => {
  const spot = /** @type {[number, number]} */ ([100, 50]);
  const pts = [spot, [10, 10], ...Array.from({ length: 11 }, () => /** @type {[number, number]} */ ([100.2, 49.9]))];
  const out = fanOut(/** @type {Array<[number, number]>} */ (pts), 9);
  assert.deepEqual(out[0], spot);
  assert.deepEqual(out[1], [10, 10]);
  for (let a = 0; a < out.length; a++) {
    for (let b = a + 1; b < out.length; b++) assert.ok(Math.hypot(out[a][0] - out[b][0], out[a][1] - out[b][1]) > 5, `${a} and ${b} apart`);
  }
  assert.ok(out.every(([x, y], j) => j === 1 || Math.hypot(x - 100, y - 50) <= 9 * Math.sqrt(11) + 1), 'near the spot');
});

test('fanOut with a cell: near neighbours (not only exact duplicates) spread apart', () => {
  const pts = /** @type {Array<[number, number]>} */ ([[100, 100], [101, 100.5], [102, 99], [200, 200]]);
  assert.deepEqual(fanOut(pts, 8)[1], [101, 100.5], 'without a cell, 1 px apart is not the same spot');
  const out = fanOut(pts, 8, 8);
  for (let i = 0; i < 3; i++) for (let j = i + 1; j < 3; j++) {
    assert.ok(Math.hypot(out[i][0] - out[j][0], out[i][1] - out[j][1]) >= 6, `points ${i} and ${j} apart`);
  }
  assert.deepEqual(out[3], [200, 200]);
});

test('etaRecent: a slow start does not inflate the estimate; nothing from too little', () => {
  // 40 items: the first takes 10 s (warm-up), then 0.5 s each: at item 20, 10 s are left
  const samples = [{ t: 0, done: 0 }, { t: 10, done: 1 }];
  for (let d = 2; d <= 20; d++) samples.push({ t: 10 + (d - 1) * 0.5, done: d });
  const honest = /** @type {number} */ (etaRecent(samples, 40));
  assert.ok(Math.abs(honest - 10) < 0.5, `recent-rate ETA ${honest}`);
  const average = /** @type {number} */ (eta(20, 40, 19.5));
  assert.ok(average > 1.8 * honest, `the average since the start says ${average} s: the old, dishonest estimate`);
  assert.equal(etaRecent([{ t: 0, done: 0 }, { t: 0.5, done: 2 }], 40), null, 'two items: no estimate');
});

test('uniqueNames: the core\'s unique names untouched; shared ones told apart by a runner-up noun, else a number', () => {
  const core = [{ name: 'tumbler', runnersUp: [{ noun: 'mug' }] }, { name: 'dog', runnersUp: [] }];
  assert.deepEqual(uniqueNames(core), ['tumbler', 'dog']);
  const edited = [
    { name: 'tumbler', runnersUp: [{ noun: 'mug' }] },
    { name: 'tumbler', runnersUp: [{ noun: 'tumbler' }, { noun: 'glass' }] },
    { name: 'tumbler', runnersUp: [] },
    { name: 'tumbler 2', runnersUp: [] },
  ];
  const shown = uniqueNames(edited);
  assert.deepEqual(shown, ['tumbler', 'tumbler (glass)', 'tumbler 3', 'tumbler 2']);
  assert.equal(new Set(shown).size, shown.length);
});

test('summaryLine: clusters, photos and the near-duplicates the core clustered once', () => {
  const clusters = [{ members: [0, 1, 2] }, { members: [3] }];
  assert.equal(summaryLine(clusters), '2 clusters · 4 photos');
  assert.equal(summaryLine(clusters, []), '2 clusters · 4 photos');
  // two groups: 3 photos (2 copies) and 2 photos (1 copy)
  assert.equal(summaryLine(clusters, [[0, 1, 2], [3, 4]]), '2 clusters · 4 photos · 3 near-duplicates');
  assert.equal(summaryLine([{ members: [7] }], [[6, 7]]), '1 cluster · 1 photo · 1 near-duplicate');
});

test('nextPointTowards: arrow keys go to the nearest point that way, straight ahead first', () => {
  const pts = [{ x: 0, y: 0 }, { x: 10, y: 1 }, { x: 5, y: 5 }, { x: -10, y: 0 }, { x: 0, y: -10 }];
  assert.equal(nextPointTowards(pts, 0, 'ArrowRight'), 1);
  assert.equal(nextPointTowards(pts, 0, 'ArrowLeft'), 3);
  assert.equal(nextPointTowards(pts, 0, 'ArrowUp'), 4);
  assert.equal(nextPointTowards(pts, 0, 'ArrowDown'), 2);
  assert.equal(nextPointTowards(pts, 3, 'ArrowLeft'), 3, 'nothing further left: stays');
});

test('pca2d: separates two blobs along the first axis; eta/formatDuration', () => {
  const d = 5;
  const x = new Float32Array(6 * d);
  for (let i = 0; i < 6; i++) {
    x[i * d] = i < 3 ? -1 : 1; // the direction of largest variance
    x[i * d + 1] = (i % 3) * 0.1;
  }
  const p = pca2d(x, 6, d);
  const first = [0, 1, 2, 3, 4, 5].map((i) => p[2 * i]);
  assert.ok(first.slice(0, 3).every((v) => Math.sign(v) === Math.sign(first[0])));
  assert.ok(first.slice(3).every((v) => Math.sign(v) === -Math.sign(first[0])));
  assert.ok(Math.abs(Math.abs(first[0]) - 1) < 1e-6);
  assert.equal(eta(0, 10, 5), null);
  assert.equal(eta(5, 10, 5), 5);
  assert.equal(formatDuration(3.4), '3 s');
  assert.equal(formatDuration(125), '2 min 05 s');
});

// ---------------------------------------------------------------------------------------------
// The page in headless Chromium

/** @type {import('playwright-core').Browser} */
let browser;
/** @type {import('playwright-core').BrowserContext} */
let context;
/** @type {import('playwright-core').Page} */
let page;
/** @type {import('node:http').Server} */
let server;
let origin = '';
/** @type {string[]} */
const requests = [];
/** @type {string[]} */
const pageErrors = [];
/** @type {string[]} */
const consoleErrors = [];
const browserOk = existsSync(CHROMIUM);

before(async () => {
  if (!browserOk) return;
  const s = await startServer({ port: 0 });
  server = s.server;
  origin = s.url.replace(/\/$/, '');
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  context = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true, deviceScaleFactor: 1 });
  context.on('request', (r) => requests.push(r.url()));
  page = await context.newPage();
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  page.on('dialog', (d) => d.accept());
  await page.goto(`${origin}/web/demo/`);
});

after(async () => {
  await browser?.close();
  server?.close();
});

const skipBrowser = !browserOk ? `${CHROMIUM} not found` : false;
const skipCore = skipBrowser || (!haveCore ? 'web/dist/vlc_wasm.* not built (scripts/build-wasm)' : false);

/** Names of the generated photos: g<group>_<n>.jpg. */
const GROUPS = 3;
const PER_GROUP = 4;
const BROKEN = ['notes.jpg', 'corrupt.jpg', 'empty.jpg'];

/** Makes the photos in the page and drops them on the drop zone with a DataTransfer. */
async function dropGeneratedFiles() {
  return page.evaluate(async ({ GROUPS, PER_GROUP }) => {
    /** @type {File[]} */
    const files = [];
    for (let g = 0; g < GROUPS; g++) {
      for (let j = 0; j < PER_GROUP; j++) {
        const c = document.createElement('canvas');
        c.width = 200 + 10 * j;
        c.height = 150;
        const x = /** @type {CanvasRenderingContext2D} */ (c.getContext('2d'));
        const W = c.width;
        const H = c.height;
        x.fillStyle = ['#dd2222', '#22aa22', '#2222dd'][g];
        x.fillRect(0, 0, W, H);
        x.fillStyle = ['#ffffff', '#000000', '#ffff00'][g];
        if (g === 0) for (let s = 0; s < 8; s++) x.fillRect(0, s * 20 + 2 * j, W, 8); // stripes
        if (g === 1) { // checkerboard
          for (let a = 0; a < W; a += 25) for (let b = 0; b < H; b += 25) if (((a + b) / 25) % 2 === 0) x.fillRect(a + j, b, 25, 25);
        }
        if (g === 2) for (let s = 0; s < 12; s++) { x.beginPath(); x.arc((s * 53 + 7 * j) % W, (s * 37) % H, 12, 0, 7); x.fill(); } // dots
        const blob = /** @type {Blob} */ (await new Promise((resolve) => c.toBlob(resolve, 'image/jpeg', 0.9)));
        files.push(new File([blob], `g${g}_${j}.jpg`, { type: 'image/jpeg', lastModified: 1_700_000_000_000 }));
      }
    }
    // A text file named .jpg, a JPEG cut inside its headers and followed by junk, an empty file.
    // (fixed dates: a reloaded session recognises files added again by name, size and date)
    files.push(new File(['these are my notes, not a photo\n'], 'notes.jpg', { type: 'image/jpeg', lastModified: 1_700_000_000_000 }));
    const good = new Uint8Array(await files[0].arrayBuffer());
    const corrupt = new Uint8Array(700);
    corrupt.set(good.subarray(0, 100));
    corrupt.fill(0x5a, 100);
    files.push(new File([corrupt], 'corrupt.jpg', { type: 'image/jpeg', lastModified: 1_700_000_000_000 }));
    files.push(new File([], 'empty.jpg', { type: 'image/jpeg', lastModified: 1_700_000_000_000 }));

    const t0 = performance.now();
    const dt = new DataTransfer();
    for (const f of files) dt.items.add(f);
    const drop = /** @type {HTMLElement} */ (document.querySelector('#drop'));
    drop.dispatchEvent(new DragEvent('dragenter', { dataTransfer: dt, bubbles: true, cancelable: true }));
    drop.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
    drop.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    const shown = document.querySelectorAll('#pending-grid .thumb').length;
    return { n: files.length, shown, ms: performance.now() - t0 };
  }, { GROUPS, PER_GROUP });
}

/** Group of a generated file name (g1_2.jpg -> 1), -1 for the broken ones. */
const groupOf = (/** @type {string} */ name) => (/^g(\d)_/.exec(name) ? Number(/^g(\d)_/.exec(name)?.[1]) : -1);

/** Runs "Group photos" and waits for the result (or an error). */
async function runAndWait() {
  await page.click('#start');
  await page.waitForFunction(() => {
    const d = /** @type {any} */ (window).vlcDemo;
    return !d.running && (d.clusters.length > 0 || document.querySelector('#status')?.classList.contains('error'));
  }, null, { timeout: TIMEOUT });
  const status = await page.textContent('#status');
  assert.ok(!(await page.locator('#status.error').count()), `the run failed: ${status}`);
}

/** The page's clusters as groups of file names. */
async function clusterNames() {
  return page.evaluate(() => {
    const d = /** @type {any} */ (window).vlcDemo;
    return d.clusters.map((/** @type {any} */ c) => ({ id: c.id, name: c.name, files: c.members.map((/** @type {number} */ i) => d.files[i]) }));
  });
}

/** Every generated group lies in one cluster. @param {{files: string[]}[]} clusters */
function groupsIntact(clusters) {
  for (let g = 0; g < GROUPS; g++) {
    const holding = clusters.filter((c) => c.files.some((f) => groupOf(f) === g));
    assert.equal(holding.length, 1, `group ${g} is split over ${holding.length} clusters: ${JSON.stringify(clusters)}`);
  }
}

async function download(/** @type {string} */ button) {
  const [dl] = await Promise.all([page.waitForEvent('download', { timeout: TIMEOUT }), page.click(button)]);
  const path = await dl.path();
  assert.ok(path, 'download has a file');
  return { name: dl.suggestedFilename(), bytes: readFileSync(/** @type {string} */ (path)) };
}

test('page: privacy note, model choice, the bundled model selected, no photos yet', { skip: skipBrowser }, async () => {
  assert.match(await page.textContent('#privacy') ?? '', /no request outside its own origin except to fetch the\s+model files you choose/);
  assert.equal(await page.locator('input[name=model][value=tiny]').isChecked(), true);
  assert.equal(await page.locator('#model-url').isDisabled(), true);
  assert.equal(await page.locator('#start').isDisabled(), true);
  // keyboard: the two pickers come right after the drop zone in the Tab order
  await page.focus('#drop');
  const order = [];
  for (let i = 0; i < 3; i++) {
    await page.keyboard.press('Tab');
    order.push(await page.evaluate(() => document.activeElement?.id));
  }
  assert.deepEqual(order, ['pick-files-button', 'pick-folder-button', 'keep-photos']);
  const chooser = page.waitForEvent('filechooser', { timeout: 5000 });
  await page.focus('#pick-files-button');
  await page.keyboard.press('Enter');
  assert.equal((await chooser).isMultiple(), true, 'Enter on "Choose photos…" opens the file chooser');
});

/** Cosine similarity of the fast decoding's embeddings with the full-resolution path's, at least. */
// (measured 1 − cosine ≈ 2–3e-6 and mean |Δ| of the tensors 0.0035–0.0043: a margin of ≈ 30× and ≈ 5×)
const EMBEDDING_TOLERANCE = 0.9999;

/**
 * Makes a photo-like JPEG of `w`×`h` in the page (gradients, shapes, fine noise), optionally with
 * an EXIF orientation, decodes it with the demo's fast path (decode.js) and the package's
 * full-resolution decodeImage(), preprocesses both; returns both tensors and the decoded sizes.
 */
async function decodeBothWays(/** @type {number} */ w, /** @type {number} */ h, orientation = 1, seed = 1) {
  return page.evaluate(async ({ w, h, orientation, seed }) => {
    const { decodeForClip } = await import('./decode.js');
    const { decodeImage, preprocessImage } = await import('../src/preprocess.js');
    const c = new OffscreenCanvas(w, h);
    const x = /** @type {OffscreenCanvasRenderingContext2D} */ (c.getContext('2d'));
    const g = x.createLinearGradient(0, 0, w, h);
    g.addColorStop(0, ['#204080', '#806020', '#208040'][seed % 3]);
    g.addColorStop(1, '#f0e0c0');
    x.fillStyle = g;
    x.fillRect(0, 0, w, h);
    x.fillStyle = '#c02020';
    x.fillRect(0, 0, w / 2, h / 3); // a red block in the stored top-left corner
    for (let i = 0; i < 40; i++) {
      x.fillStyle = `hsl(${(i * 47 * seed) % 360} 70% 50%)`;
      x.beginPath(); x.arc((i * 397 * seed) % w, (i * 211) % h, 10 + (i % 7) * 12, 0, 7); x.fill();
    }
    const img = x.getImageData(0, 0, w, h);
    let r = seed;
    for (let i = 0; i < img.data.length; i += 4) { r = (r * 1103515245 + 12345) >>> 0; img.data[i] += (r >>> 28) - 8; }
    x.putImageData(img, 0, 0);
    let bytes = new Uint8Array(await (await c.convertToBlob({ type: 'image/jpeg', quality: 0.9 })).arrayBuffer());
    if (orientation !== 1) {
      // an APP1 "Exif" segment right after SOI: IFD0 with the one tag 0x0112 = orientation
      const app1 = [0xff, 0xe1, 0, 34, 0x45, 0x78, 0x69, 0x66, 0, 0, 0x4d, 0x4d, 0, 0x2a, 0, 0, 0, 8, 0, 1,
        0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, orientation, 0, 0, 0, 0, 0, 0];
      bytes = new Uint8Array([...bytes.subarray(0, 2), ...app1, ...bytes.subarray(2)]);
    }
    const blob = new Blob([bytes], { type: 'image/jpeg' });
    const fast = await decodeForClip(blob);
    const full = await decodeImage(blob);
    /** mean red minus blue of the display top-left 1/16 */
    const corner = (/** @type {any} */ im) => {
      let s = 0; let n = 0;
      for (let yy = 0; yy < im.height / 4; yy++) for (let xx = 0; xx < im.width / 4; xx++) { const k = (yy * im.width + xx) * 4; s += im.data[k] - im.data[k + 2]; n++; }
      return s / n;
    };
    const b64 = (/** @type {Float32Array} */ t) => { let out = ''; const u = new Uint8Array(t.buffer); for (let i = 0; i < u.length; i += 0x8000) out += String.fromCharCode(...u.subarray(i, i + 0x8000)); return btoa(out); };
    return {
      fastSize: [fast.width, fast.height], fullSize: [full.width, full.height], fastCorner: corner(fast), fullCorner: corner(full),
      fast: b64(preprocessImage(fast)), full: b64(preprocessImage(full)),
    };
  }, { w, h, orientation, seed });
}

const floats = (/** @type {string} */ b64) => { const b = Buffer.from(b64, 'base64'); return new Float32Array(b.buffer, b.byteOffset, b.length / 4); };

test('decode: large photos are decoded downscaled (448 px shorter side), small ones at full size; EXIF orientation applied', { skip: skipBrowser }, async () => {
  const big = await decodeBothWays(3000, 2000);
  assert.deepEqual(big.fullSize, [3000, 2000]);
  assert.deepEqual(big.fastSize, [672, 448], 'downscaled by the browser to a shorter side of 2 × 224, the aspect kept');
  const small = await decodeBothWays(600, 400);
  assert.deepEqual(small.fastSize, [600, 400], 'less than 1.5 × 448: decoded at full size');
  for (const orientation of [6, 3]) {
    const turned = await decodeBothWays(1800, 1200, orientation);
    assert.deepEqual(turned.fullSize, orientation === 6 ? [1200, 1800] : [1800, 1200]);
    assert.deepEqual(turned.fastSize, orientation === 6 ? [448, 672] : [672, 448], `orientation ${orientation}: display size`);
    // the stored top-left red block moves with the turn: both paths agree where it went
    assert.ok(Math.abs(turned.fastCorner - turned.fullCorner) < 12, `orientation ${orientation}: same corner colour (${turned.fastCorner.toFixed(1)} vs ${turned.fullCorner.toFixed(1)})`);
  }
});

test(`decode: embeddings of the fast path within cosine ${EMBEDDING_TOLERANCE} of the full-resolution path (tiny CLIP)`, { skip: skipBrowser, timeout: TIMEOUT }, async (t) => {
  const ort = await import('onnxruntime-web');
  const { Encoder } = await import('../../src/encoder.js');
  const dir = join(root, 'models/tiny-clip/');
  const encoder = await Encoder.load({
    vision: join(dir, 'vision_model.onnx'), text: join(dir, 'text_model.onnx'), vocab: join(dir, 'vocab.json'), merges: join(dir, 'merges.txt'),
    ort, numThreads: 1,
  });
  try {
    const cases = [await decodeBothWays(4000, 3000, 1, 1), await decodeBothWays(3000, 2000, 1, 2), await decodeBothWays(2000, 3000, 6, 3)];
    const tensors = cases.flatMap((c) => [floats(c.fast), floats(c.full)]);
    const e = await encoder.encodeImages(tensors);
    const d = encoder.dim;
    const cos = cases.map((_, i) => {
      const a = e.subarray(2 * i * d, (2 * i + 1) * d);
      const b = e.subarray((2 * i + 1) * d, (2 * i + 2) * d);
      let ab = 0; let aa = 0; let bb = 0;
      for (let j = 0; j < d; j++) { ab += a[j] * b[j]; aa += a[j] * a[j]; bb += b[j] * b[j]; }
      return ab / Math.sqrt(aa * bb);
    });
    t.diagnostic(`1 − cosine, fast vs full resolution: ${cos.map((x) => (1 - x).toExponential(1)).join(', ')}`);
    for (const c of cos) assert.ok(c >= EMBEDDING_TOLERANCE, `cosine ${c.toFixed(5)} < ${EMBEDDING_TOLERANCE} (all: ${cos.map((x) => x.toFixed(5)).join(', ')})`);
    // and the pixels CLIP sees differ by little (mean absolute difference of the normalised tensors)
    for (const c of cases) {
      const a = floats(c.fast); const b = floats(c.full);
      let s = 0; for (let j = 0; j < a.length; j++) s += Math.abs(a[j] - b[j]);
      t.diagnostic(`mean |Δ| of the preprocessed tensors: ${(s / a.length).toFixed(4)}`);
      assert.ok(s / a.length < 0.02, `mean |Δ| of the preprocessed tensors ${(s / a.length).toFixed(4)}`);
    }
  } finally {
    await encoder.dispose();
  }
});

/**
 * The demo's decoding of a JPEG (1800×1200, made with jpeg-js: the same bytes for every page) and
 * of a PNG in `p`: decoded sizes, the CLIP tensors, and the thumbnails' sizes.
 * @param {import('playwright-core').Page} p
 */
async function decodeInPage(p, jpegB64) {
  return p.evaluate(async ({ jpegB64 }) => {
    const { decodeForClip, makeThumbnail } = await import('./decode.js');
    const { preprocessImage } = await import('../src/preprocess.js');
    const jpeg = new Blob([Uint8Array.from(atob(jpegB64), (c) => c.charCodeAt(0))], { type: 'image/jpeg' });
    const c = new OffscreenCanvas(900, 700);
    const x = /** @type {OffscreenCanvasRenderingContext2D} */ (c.getContext('2d'));
    x.fillStyle = '#2a6'; x.fillRect(0, 0, 900, 700); x.fillStyle = '#fd0'; x.fillRect(100, 100, 400, 300);
    const png = await c.convertToBlob({ type: 'image/png' });
    const out = [];
    for (const blob of [jpeg, png]) {
      const img = await decodeForClip(blob);
      const t = preprocessImage(img);
      const thumb = await createThumbSize(await makeThumbnail(blob));
      out.push({ size: [img.width, img.height], tensor: Array.from(t.subarray(0, 3 * 224 * 224)), thumb });
    }
    return out;
    /** the size of a thumbnail JPEG, read from its header (no decoder needed) */
    async function createThumbSize(/** @type {Blob} */ b) {
      const { readJpegInfo } = await import('../src/preprocess.js');
      const info = readJpegInfo(new Uint8Array(await b.arrayBuffer()));
      return info ? [info.width, info.height] : null;
    }
  }, { jpegB64 });
}

test('decode without createImageBitmap (deleted before the page loads): CLIP pixels and thumbnails through ImageDecoder, and through <img> without that either', { skip: skipBrowser, timeout: TIMEOUT }, async () => {
  const jpegB64 = Buffer.from(syntheticPhoto(3, 1800, 1200)).toString('base64');
  const reference = await decodeInPage(page, jpegB64);
  for (const removed of [['createImageBitmap'], ['createImageBitmap', 'ImageDecoder']]) {
    const p = await context.newPage();
    p.on('pageerror', (e) => pageErrors.push(e.message));
    await p.addInitScript((names) => {
      for (const n of names) { delete /** @type {any} */ (window)[n]; delete /** @type {any} */ (Window.prototype)[n]; }
    }, removed);
    try {
      await p.goto(`${origin}/web/demo/`);
      assert.deepEqual(await p.evaluate((names) => names.map((n) => typeof /** @type {any} */ (window)[n]), removed), removed.map(() => 'undefined'));
      const got = await decodeInPage(p, jpegB64);
      got.forEach((g, i) => {
        const want = reference[i];
        assert.deepEqual(g.size, want.size, `${removed}: image ${i} decoded at the same size`);
        assert.deepEqual(g.thumb, want.thumb, `${removed}: thumbnail ${i} of the same size`);
        // the browser's downscale drawn on a canvas instead of createImageBitmap's: a little apart
        let s = 0;
        for (let j = 0; j < g.tensor.length; j++) s += Math.abs(g.tensor[j] - want.tensor[j]);
        assert.ok(s / g.tensor.length < 0.05, `${removed}: image ${i}: mean |Δ| of the CLIP tensor ${(s / g.tensor.length).toFixed(4)}`);
      });
      assert.deepEqual(got.map((g) => g.size), [[672, 448], [576, 448]], 'both downscaled to a shorter side of 448');
    } finally {
      await p.close();
    }
  }
});

test('drop: 15 files dropped, thumbnails at once (before any model work)', { skip: skipBrowser }, async () => {
  const { n, shown, ms } = await dropGeneratedFiles();
  assert.equal(n, GROUPS * PER_GROUP + BROKEN.length);
  assert.equal(shown, n, 'thumbnails are in the page synchronously after the drop event');
  assert.ok(ms < 1000, `drop handled in ${ms} ms`);
  await page.waitForSelector('#thumbs-pending:not([hidden])');
  assert.equal(await page.locator('#pending-grid .thumb').count(), n);
  assert.match(await page.textContent('#file-count') ?? '', /15 files selected/);
  assert.equal(await page.locator('#start').isDisabled(), false);
  assert.ok(!requests.some((u) => u.includes('/models/')), 'no model file is fetched before "Group photos"');
});

test('thumbnails: small JPEGs (≤ 256 px) made in the browser, not the originals; broken files marked', { skip: skipBrowser }, async () => {
  const thumbs = await page.evaluate(async () => {
    const d = /** @type {any} */ (window).vlcDemo;
    await d.thumbnailsReady;
    return Promise.all(d.thumbnailUrls.map(async (/** @type {string} */ u) => {
      if (!u) return null;
      const img = new Image(); // (img-src allows blob:, connect-src does not: no fetch)
      img.src = u;
      await img.decode();
      return [img.naturalWidth, img.naturalHeight];
    }));
  });
  assert.equal(thumbs.length, GROUPS * PER_GROUP + BROKEN.length);
  const good = thumbs.slice(0, GROUPS * PER_GROUP);
  for (const t of good) assert.ok(t && Math.max(...t) <= 256 && t[1] === 150, `thumbnail ${t}`);
  assert.deepEqual(thumbs.slice(GROUPS * PER_GROUP), [null, null, null], 'no thumbnail for the broken files');
  assert.equal(await page.locator('#pending-grid .thumb.broken').count(), BROKEN.length);
});

test('cancel: stops a run at once; nothing is clustered', { skip: skipCore }, async () => {
  await page.evaluate(() => {
    /** @type {HTMLButtonElement} */ (document.querySelector('#start')).click();
    /** @type {HTMLButtonElement} */ (document.querySelector('#cancel')).click();
  });
  assert.equal(await page.textContent('#status'), 'Cancelled.');
  assert.equal(await page.evaluate(() => /** @type {any} */ (window).vlcDemo.running), false);
  assert.equal(await page.locator('#cancel').isDisabled(), true);
  assert.equal(await page.locator('#start').isDisabled(), false);
  await page.waitForTimeout(500);
  assert.equal(await page.evaluate(() => /** @type {any} */ (window).vlcDemo.clusters.length), 0, 'a cancelled run shows no clusters');
});

test('cluster with K = 3: three clusters, each generated group in one; broken files listed; backend shown', { skip: skipCore, timeout: TIMEOUT }, async () => {
  await page.selectOption('#k', '3');
  await page.evaluate(() => window.scrollTo(0, 0));
  await runAndWait();
  // the result is scrolled to and has the keyboard focus (not <body>)
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'results-h');
  await page.waitForFunction(() => {
    const r = /** @type {HTMLElement} */ (document.querySelector('#results-h')).getBoundingClientRect();
    return r.top >= 0 && r.bottom <= innerHeight;
  }, null, { timeout: 5000 });
  // the core's names are unique, and shown as they are (not re-duplicated, not suffixed)
  const coreNames = await page.evaluate(() => /** @type {any} */ (window).vlcDemo.clusters.map((/** @type {any} */ c) => c.name));
  assert.equal(new Set(coreNames).size, coreNames.length, `names from the core: ${coreNames}`);
  assert.deepEqual((await page.locator('.card .name').evaluateAll((els) => els.map((e) => /** @type {HTMLInputElement} */ (e).value))).sort(), [...coreNames].sort());
  const clusters = await clusterNames();
  assert.equal(clusters.length, 3);
  groupsIntact(clusters);
  assert.deepEqual(clusters.map((c) => c.files.length).sort(), [4, 4, 4]);
  // cards on the page
  assert.equal(await page.locator('.card').count(), 3);
  assert.equal(await page.locator('.card .thumb').count(), 12);
  // progress bars finished, with counts
  assert.match(await page.textContent('.stage[data-stage=decode] .count') ?? '', /15 \/ 15/);
  assert.match(await page.textContent('.stage[data-stage=encode] .count') ?? '', /12 \/ 12/);
  assert.match(await page.textContent('.stage[data-stage=cluster] .count') ?? '', /done/);
  // errors
  const errors = await page.evaluate(() => /** @type {any} */ (window).vlcDemo.errors);
  assert.deepEqual(errors.map((/** @type {any} */ e) => e.file).sort(), [...BROKEN].sort());
  const listed = await page.locator('#error-list li').allTextContents();
  assert.equal(listed.length, 3);
  assert.ok(listed.some((t) => /empty\.jpg — file is empty \(0 bytes\)/.test(t)), listed.join('\n'));
  assert.ok(listed.some((t) => /notes\.jpg — cannot decode image/.test(t)), listed.join('\n'));
  assert.ok(listed.some((t) => /corrupt\.jpg — cannot decode image/.test(t)), listed.join('\n'));
  // backend: no GPU here, so WASM, and the page says so
  assert.match(await page.textContent('#backend') ?? '', /^wasm \(CPU, WebAssembly\).*WebGPU unavailable/);
  // names: top noun + runners-up
  const first = page.locator('.card').first();
  assert.ok((await first.locator('.name').inputValue()).length > 0);
  assert.match(await first.locator('.runners').textContent() ?? '', /^also: \S.* · \S/);
  // cards sorted by size (all 4 here) then id
  assert.deepEqual(await page.locator('.card .size').allTextContents(), ['4 photos', '4 photos', '4 photos']);
});

test('screenshots at 1280×800 and 390×844', { skip: skipCore }, async () => {
  mkdirSync(shots, { recursive: true });
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(shots, 'demo-1280x800.png') });
  await page.screenshot({ path: join(shots, 'demo-1280x800-full.png'), fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.waitForTimeout(200);
  await page.screenshot({ path: join(shots, 'demo-390x844.png') });
  await page.screenshot({ path: join(shots, 'demo-390x844-full.png'), fullPage: true });
  await page.locator('#results-h').scrollIntoViewIfNeeded();
  await page.evaluate(() => document.querySelector('#results')?.scrollIntoView());
  await page.screenshot({ path: join(shots, 'demo-390x844-clusters.png') });
  // nothing wider than the phone's screen
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(overflow <= 390, `page is ${overflow}px wide at 390px`);
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.waitForTimeout(200);
});

test('2-D map: drawn on the canvas, one colour per cluster, axes explained', { skip: skipCore }, async () => {
  const colours = await page.evaluate(() => {
    const c = /** @type {HTMLCanvasElement} */ (document.querySelector('#map'));
    const d = /** @type {CanvasRenderingContext2D} */ (c.getContext('2d')).getImageData(0, 0, c.width, c.height).data;
    const seen = new Set();
    for (let i = 0; i < d.length; i += 4) {
      const [r, g, b] = [d[i], d[i + 1], d[i + 2]];
      if (Math.max(r, g, b) - Math.min(r, g, b) > 80) seen.add(`${r >> 4},${g >> 4},${b >> 4}`); // saturated = a point
    }
    return seen.size;
  });
  assert.ok(colours >= 3, `saturated colours on the map: ${colours}`);
  assert.equal(await page.locator('#legend li').count(), 3);
  // The clustering's own axes (ntk-rad has a graph), not the PCA fallback.
  const note = await page.textContent('#map-note') ?? '';
  assert.match(note, /first two non-trivial spectral coordinates/);
  assert.doesNotMatch(note, /principal components/);
  const map = await page.evaluate(() => {
    const r = /** @type {any} */ (window).vlcDemo.result;
    return { length: r.embedding2d.length, m: r.m, finite: Array.from(r.embedding2d).every(Number.isFinite) };
  });
  assert.equal(map.length, 2 * map.m, 'embedding2d: M×2 from the clustering');
  assert.ok(map.finite);
  // Photos on one spot are fanned out: 12 separate points (at least 5 px apart), not 3 stacks.
  const centres = await page.evaluate(() => {
    const c = /** @type {HTMLCanvasElement} */ (document.querySelector('#map'));
    const d = /** @type {CanvasRenderingContext2D} */ (c.getContext('2d')).getImageData(0, 0, c.width, c.height);
    // Connected blobs of saturated pixels, counted by a flood fill.
    const sat = (/** @type {number} */ p) => Math.max(d.data[4 * p], d.data[4 * p + 1], d.data[4 * p + 2])
      - Math.min(d.data[4 * p], d.data[4 * p + 1], d.data[4 * p + 2]) > 80;
    const seen = new Uint8Array(d.width * d.height);
    let blobs = 0;
    for (let p = 0; p < seen.length; p++) {
      if (seen[p] || !sat(p)) continue;
      blobs++;
      const stack = [p];
      seen[p] = 1;
      while (stack.length) {
        const q = /** @type {number} */ (stack.pop());
        const x = q % d.width;
        for (const n of [q - 1, q + 1, q - d.width, q + d.width]) {
          if (n < 0 || n >= seen.length || seen[n] || Math.abs((n % d.width) - x) > 1 || !sat(n)) continue;
          seen[n] = 1;
          stack.push(n);
        }
      }
    }
    return blobs;
  });
  assert.equal(centres, 12, 'one dot per photo on the map');
});

test('enlarge a photo and move it with the select menu', { skip: skipCore }, async () => {
  const before = await clusterNames();
  const src = before[0];
  const dst = before[1];
  const name = src.files[0];
  await page.locator(`.card[data-cluster-id="${src.id}"] .thumb`).first().click();
  await page.waitForSelector('#viewer[open]');
  assert.equal(await page.textContent('#viewer-name'), name);
  assert.equal(await page.locator('#viewer-img').getAttribute('alt'), name);
  assert.equal(await page.locator('#viewer-move').inputValue(), String(src.id));
  await page.screenshot({ path: join(shots, 'demo-viewer-1280x800.png') });
  // browsing the menu (ArrowDown, or choosing an option) moves nothing: only Enter commits
  await page.focus('#viewer-move');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowDown');
  await page.selectOption('#viewer-move', String(dst.id));
  assert.deepEqual(await clusterNames(), before, 'no move before Enter');
  await page.press('#viewer-move', 'Enter');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'viewer-move', 'the menu keeps the focus after the move');
  await page.keyboard.press('Escape');
  await page.waitForSelector('#viewer', { state: 'hidden' });
  // focus back on the moved photo's thumbnail, now in its new cluster
  await page.waitForFunction(() => document.activeElement?.classList.contains('thumb'), null, { timeout: 2000 }).catch(() => {});
  assert.deepEqual(await page.evaluate(() => {
    const a = /** @type {HTMLElement} */ (document.activeElement);
    return [a.classList.contains('thumb'), a.title, a.closest('.card')?.getAttribute('data-cluster-id')];
  }), [true, name, String(dst.id)]);
  const afterMove = await clusterNames();
  assert.ok(afterMove.find((c) => c.id === dst.id)?.files.includes(name));
  assert.ok(!afterMove.find((c) => c.id === src.id)?.files.includes(name));
  assert.equal(afterMove.find((c) => c.id === dst.id)?.files.length, 5);
  // sorted by size: the grown cluster comes first
  assert.equal(await page.locator('.card').first().getAttribute('data-cluster-id'), String(dst.id));
  assert.deepEqual(await page.locator('.card .size').allTextContents(), ['5 photos', '4 photos', '3 photos']);
});

test('drag a photo onto another cluster', { skip: skipCore }, async () => {
  const before = await clusterNames();
  const src = before.find((c) => c.files.length === 5);
  const dst = before.find((c) => c.files.length === 3);
  assert.ok(src && dst);
  const moved = src.files[src.files.length - 1];
  await page.dragAndDrop(`.card[data-cluster-id="${src.id}"] .thumb >> nth=-1`, `.card[data-cluster-id="${dst.id}"] .grid`);
  const afterDrag = await clusterNames();
  assert.ok(afterDrag.find((c) => c.id === dst.id)?.files.includes(moved), `${moved} was dragged into cluster ${dst.id}`);
  assert.equal(afterDrag.find((c) => c.id === src.id)?.files.length, 4);
  assert.equal(afterDrag.find((c) => c.id === dst.id)?.files.length, 4);
});

test('rename a cluster and merge two clusters', { skip: skipCore }, async () => {
  const before = await clusterNames();
  const [a, b] = before;
  const nameInput = page.locator(`.card[data-cluster-id="${a.id}"] .name`);
  await nameInput.fill('stripes & co');
  await nameInput.press('Enter');
  await nameInput.blur();
  await page.waitForFunction((id) => /** @type {any} */ (window).vlcDemo.clusters.find((c) => c.id === id)?.name === 'stripes & co', a.id);
  // merge b into a
  const card = page.locator(`.card[data-cluster-id="${b.id}"]`);
  await card.locator('.merge-target').selectOption(String(a.id));
  await card.locator('.merge').click();
  // the keyboard stays with the merged cluster (its name field), not on <body>
  assert.deepEqual(await page.evaluate(() => [document.activeElement?.className, document.activeElement?.closest('.card')?.getAttribute('data-cluster-id')]), ['name', String(a.id)]);
  // its runners-up were the core's for the cluster before the merge: not shown as if still true
  const runners = await page.textContent(`.card[data-cluster-id="${a.id}"] .runners`) ?? '';
  assert.doesNotMatch(runners, /also:/);
  assert.match(runners, /merged with “/);
  const afterMerge = await clusterNames();
  assert.equal(afterMerge.length, 2);
  const merged = afterMerge.find((c) => c.id === a.id);
  assert.equal(merged?.name, 'stripes & co');
  assert.deepEqual([...(merged?.files ?? [])].sort(), [...a.files, ...b.files].sort());
  assert.equal(await page.locator('.card').count(), 2);
  assert.equal(await page.locator('#legend li').count(), 2);
});

test('two clusters renamed alike are shown with distinct names; the rename keeps the focus', { skip: skipCore }, async () => {
  const [x, y] = await clusterNames();
  const input = page.locator(`.card[data-cluster-id="${y.id}"] .name`);
  const yName = y.name;
  await input.fill(x.name);
  await input.press('Enter');
  await page.waitForFunction((id) => /** @type {any} */ (window).vlcDemo.clusters.find((c) => c.id === id)?.name !== undefined, y.id);
  const shown = await page.locator('.card .name').evaluateAll((els) => els.map((e) => /** @type {HTMLInputElement} */ (e).value));
  assert.equal(new Set(shown).size, 2, `shown: ${shown}`);
  assert.ok(shown.includes(x.name));
  assert.ok(shown.some((n) => n !== x.name && n.startsWith(x.name)), `the second "${x.name}" told apart: ${shown}`);
  assert.equal(await page.locator('#legend li').evaluateAll((els) => new Set(els.map((e) => e.textContent)).size), 2);
  assert.equal(await page.evaluate(() => document.activeElement?.className), 'name', 'focus stays on the renamed field');
  // back to its own name (the export tests below expect the names of before)
  const again = page.locator(`.card[data-cluster-id="${y.id}"] .name`);
  await again.fill(yName);
  await again.press('Enter');
  assert.deepEqual((await clusterNames()).map((c) => c.name), [x.name, yName]);
});

test('map: focusable with Tab, arrow keys move between photos, Enter enlarges one, focus comes back', { skip: skipCore }, async () => {
  assert.equal(await page.getAttribute('#map', 'tabindex'), '0');
  await page.focus('#map');
  const first = await page.textContent('#map-point') ?? '';
  assert.match(first, /\.jpg — /, 'the focused point is named');
  const seen = new Set([first]);
  for (const key of ['ArrowRight', 'ArrowDown', 'ArrowLeft', 'ArrowUp', 'ArrowRight']) {
    await page.keyboard.press(key);
    seen.add(await page.textContent('#map-point') ?? '');
  }
  assert.ok(seen.size >= 2, `arrow keys moved between points: ${[...seen]}`);
  const current = (await page.textContent('#map-point') ?? '').split(' — ')[0];
  await page.keyboard.press('Enter');
  await page.waitForSelector('#viewer[open]');
  assert.equal(await page.textContent('#viewer-name'), current);
  await page.keyboard.press('Escape');
  await page.waitForSelector('#viewer', { state: 'hidden' });
  await page.waitForFunction(() => document.activeElement?.id === 'map', null, { timeout: 2000 }).catch(() => {});
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'map');
});

test('export JSON: every file with its cluster, the edits included, the errors', { skip: skipCore }, async () => {
  const state = await clusterNames();
  const { name, bytes } = await download('#export-json');
  assert.equal(name, 'vlcluster-clusters.json');
  const j = JSON.parse(bytes.toString('utf8'));
  assert.equal(j.format, 'vlcluster-demo-export-1');
  assert.equal(j.backend, 'wasm');
  assert.equal(j.clusters.length, 2);
  assert.equal(j.files.length, 15);
  for (const c of state) {
    const e = j.clusters.find((/** @type {any} */ x) => x.id === c.id);
    assert.ok(e, `cluster ${c.id} exported`);
    assert.equal(e.name, c.name);
    assert.deepEqual([...e.files].sort(), [...c.files].sort());
    assert.equal(e.size, c.files.length);
    for (const f of c.files) {
      const row = j.files.find((/** @type {any} */ x) => x.file === f);
      assert.equal(row.clusterId, c.id);
      assert.equal(row.clusterName, c.name);
    }
  }
  assert.ok(j.clusters.some((/** @type {any} */ c) => c.name === 'stripes & co' && c.autoName !== 'stripes & co'));
  for (const b of BROKEN) {
    const row = j.files.find((/** @type {any} */ x) => x.file === b);
    assert.equal(row.clusterId, null);
    assert.ok(j.errors.some((/** @type {any} */ e) => e.file === b));
  }
});

test('export CSV and ZIP (one folder per cluster, checked with unzip -t)', { skip: skipCore }, async () => {
  const state = await clusterNames();
  const csv = (await download('#export-csv')).bytes.toString('utf8').trim().split('\r\n');
  assert.equal(csv[0], 'file,cluster_id,cluster_name');
  assert.equal(csv.length, 1 + 12);
  for (const c of state) for (const f of c.files) assert.ok(csv.includes(`${f},${c.id},${c.name.includes(',') ? `"${c.name}"` : c.name}`), `${f} in CSV`);

  const zip = await download('#export-zip');
  assert.equal(zip.name, 'vlcluster-clusters.zip');
  const dir = mkdtempSync(join(tmpdir(), 'vlc-demo-'));
  try {
    const path = join(dir, 'c.zip');
    writeFileSync(path, zip.bytes);
    assert.match(execFileSync('unzip', ['-t', path], { encoding: 'utf8' }), /No errors detected/);
    const names = zipNames(path);
    assert.equal(names.length, 12);
    const folders = new Map();
    for (const n of names) {
      const [folder, file] = n.split('/');
      folders.set(folder, [...(folders.get(folder) ?? []), file]);
    }
    assert.equal(folders.size, 2);
    for (const c of state) {
      const hit = [...folders.entries()].find(([folder]) => folder.endsWith(` ${c.name.replace(/[\\/:*?"<>|]+/g, '_')}`));
      assert.ok(hit, `folder for ${c.name} in ${[...folders.keys()]}`);
      assert.deepEqual([...hit[1]].sort(), [...c.files].sort());
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('change K: re-cluster with 3 and with auto without encoding the photos again', { skip: skipCore, timeout: TIMEOUT }, async () => {
  const encodeCount = () => requests.filter((u) => u.includes('/models/')).length;
  const modelFetches = encodeCount();
  for (const k of ['3', 'auto']) {
    await page.selectOption('#k2', k);
    await page.click('#recluster');
    await page.waitForFunction(() => !(/** @type {any} */ (window).vlcDemo.running), null, { timeout: TIMEOUT });
    const r = await page.evaluate(() => /** @type {any} */ (window).vlcDemo.result);
    assert.equal(r.encodeRuns, 1, 'the photos were encoded once');
    assert.equal(r.imagesEncoded, 12);
    const clusters = await clusterNames();
    groupsIntact(clusters);
    if (k === '3') assert.equal(clusters.length, 3);
    else {
      // Automatic K with the core's rule (default_kmax, the CLI's and the package's; no range of
      // the demo's own): the candidates are what the core's kRange gives for the photos left after
      // near-duplicates (the tiny model's embeddings of similar test photos) are merged.
      const copies = r.duplicateGroups.reduce((/** @type {number} */ s, /** @type {number[]} */ g) => s + g.length - 1, 0);
      const range = (await loadVlcModule()).kRange(12 - copies, 2, 0);  // the core, here under node
      assert.deepEqual(r.kCurve.map((/** @type {any} */ p) => p.k), Array.from({ length: range[1] - range[0] + 1 }, (_, i) => i + range[0]));
      // default_kmax = min(50, M − 1, max(2, ⌊M/5⌋, min(⌊M/2⌋, 9))): 6 for 12 photos
      if (copies === 0) assert.deepEqual(range, [2, 6]);
      assert.ok(r.kCurve.some((/** @type {any} */ p) => p.k === r.k));
      assert.equal(clusters.length, r.k);
    }
  }
  assert.equal(encodeCount(), modelFetches, 'no model file fetched again');
  assert.match(await page.textContent('.stage[data-stage=encode] .count') ?? '', /12 \/ 12 · done/, 'encode bar untouched');
});

/** Id of the focused element, or its class and its card's cluster id. */
const focused = () => page.evaluate(() => {
  const a = /** @type {HTMLElement} */ (document.activeElement);
  return { id: a.id, cls: a.className, card: a.closest('.card')?.getAttribute('data-cluster-id') ?? null, title: a.title, value: /** @type {HTMLInputElement} */ (a).value };
});

test('keyboard: Tab reaches every control of the page, in order; the focus is kept after a result, a merge, a rename and Escape', { skip: skipCore, timeout: TIMEOUT }, async () => {
  // a result, by keyboard only: "3" in the re-cluster menu, Tab to Re-cluster, Enter
  await page.focus('#k2');
  await page.keyboard.type('3');
  assert.equal(await page.inputValue('#k2'), '3');
  await page.keyboard.press('Tab');
  assert.equal((await focused()).id, 'recluster');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => !(/** @type {any} */ (window).vlcDemo.running) && /** @type {any} */ (window).vlcDemo.clusters.length === 3, null, { timeout: TIMEOUT });
  assert.equal((await focused()).id, 'results-h', 'after a result: the results heading');

  // Every control a person can use, in document order (no positive tabindex: that is the Tab
  // order): enabled, rendered, not in a closed <details> or dialog; of a radio group the checked one.
  const controls = await page.evaluate(() => {
    const all = [...document.querySelectorAll('a[href], button, input, select, textarea, summary, [tabindex]')];
    const stops = all.filter((el) => {
      const e = /** @type {HTMLInputElement} */ (el);
      if (e.disabled || e.tabIndex < 0) return false;
      if (e.closest('[hidden], dialog:not([open])')) return false;
      const details = e.closest('details');
      if (details && !details.open && e.tagName !== 'SUMMARY') return false;
      if (!e.getClientRects().length) return false;
      if (e.type === 'radio' && !e.checked) return false;
      return true;
    });
    stops.forEach((el, i) => el.setAttribute('data-kb', String(i)));
    return {
      positive: all.filter((el) => /** @type {HTMLElement} */ (el).tabIndex > 0).length,
      labels: stops.map((el) => el.id || `${el.className}${el.closest('.card') ? `@${el.closest('.card')?.getAttribute('data-cluster-id')}` : ''}`),
    };
  });
  assert.equal(controls.positive, 0, 'no positive tabindex');
  for (const id of ['drop', 'pick-files-button', 'pick-folder-button', 'keep-photos', 'k', 'start', 'clear', 'sort', 'k2', 'recluster', 'export-json', 'export-csv', 'export-zip', 'map']) {
    assert.ok(controls.labels.includes(id), `#${id} is a Tab stop: ${controls.labels.join(' ')}`);
  }
  for (const cls of ['name', 'thumb', 'merge-target', 'merge']) assert.ok(controls.labels.some((l) => l.startsWith(`${cls}@`)), `the cards' ${cls} controls`);
  await page.focus('[data-kb="0"]');
  const reached = [0];
  for (let i = 1; i < controls.labels.length; i++) {
    await page.keyboard.press('Tab');
    reached.push(Number(await page.evaluate(() => document.activeElement?.getAttribute('data-kb') ?? -1)));
  }
  assert.deepEqual(reached, controls.labels.map((_, i) => i), `Tab order: ${reached.map((i) => controls.labels[i] ?? '(other)').join(' ')}`);

  // merge by keyboard: Tab from the last card's menu to its Merge button, Enter
  const clusters = await clusterNames();
  const from = clusters[clusters.length - 1];
  await page.focus(`.card[data-cluster-id="${from.id}"] .merge-target`);
  const into = Number(await page.inputValue(`.card[data-cluster-id="${from.id}"] .merge-target`));
  await page.keyboard.press('Tab');
  assert.equal((await focused()).cls, 'merge');
  await page.keyboard.press('Enter');
  assert.equal((await clusterNames()).length, 2);
  assert.deepEqual([(await focused()).cls, (await focused()).card], ['name', String(into)], 'after a merge: the merged cluster\'s name');

  // rename by keyboard, in the focused field: the focus stays there
  await page.keyboard.press('Control+A');
  await page.keyboard.type('typed by keyboard');
  await page.keyboard.press('Enter');
  await page.waitForFunction((id) => /** @type {any} */ (window).vlcDemo.clusters.find((c) => c.id === id)?.name === 'typed by keyboard', into);
  assert.deepEqual([(await focused()).cls, (await focused()).card, (await focused()).value], ['name', String(into), 'typed by keyboard'], 'after a rename');

  // Tab on to the card's first photo, Enter enlarges it, Escape closes: back on that photo
  const first = (await clusterNames()).find((c) => c.id === into)?.files[0];
  await page.focus(`.card[data-cluster-id="${into}"] .thumb`);
  await page.keyboard.press('Enter');
  await page.waitForSelector('#viewer[open]');
  assert.equal(await page.textContent('#viewer-name'), first);
  await page.keyboard.press('Escape');
  await page.waitForSelector('#viewer', { state: 'hidden' });
  await page.waitForFunction(() => document.activeElement?.classList.contains('thumb'), null, { timeout: 2000 }).catch(() => {});
  assert.deepEqual([(await focused()).cls, (await focused()).title, (await focused()).card], ['thumb', first, String(into)], 'after Escape: the photo that was enlarged');
});

/** Whether a beforeunload event now asks the user before leaving. */
const unloadWarns = () => page.evaluate(() => {
  const e = new Event('beforeunload', { cancelable: true });
  window.dispatchEvent(e);
  return e.defaultPrevented;
});
const waitSaved = () => page.waitForFunction(() => !(/** @type {any} */ (window).vlcDemo.unsaved), null, { timeout: 10_000 });
const sessionView = () => page.evaluate(() => /** @type {any} */ (window).vlcDemo.clusters);

test('session: kept in IndexedDB and restored on reload (without the photos unless allowed); beforeunload warns of unsaved edits', { skip: skipCore, timeout: TIMEOUT }, async () => {
  await waitSaved();
  assert.equal(await unloadWarns(), false, 'nothing unsaved: no warning');
  const [c] = await clusterNames();
  const input = page.locator(`.card[data-cluster-id="${c.id}"] .name`);
  await input.fill('kept across reloads');
  await input.press('Enter');
  assert.equal(await page.evaluate(() => /** @type {any} */ (window).vlcDemo.unsaved), true);
  assert.equal(await unloadWarns(), true, 'an edit not yet written: the page asks before leaving');
  await waitSaved();
  assert.equal(await unloadWarns(), false);
  const before = await sessionView();

  // reload: the clusters, names and edits come back; the photos were not kept
  await page.reload();
  await page.evaluate(() => /** @type {any} */ (window).vlcDemo.restored);
  assert.deepEqual(await sessionView(), before);
  assert.match(await page.textContent('#status') ?? '', /Restored the session .* add the same photos again/);
  assert.equal(await page.locator('#clusters .thumb.missing').count(), 12);
  assert.equal((await page.evaluate(() => /** @type {any} */ (window).vlcDemo.missing)).length, 15);
  assert.equal(await page.locator('#export-zip').isDisabled(), true, 'no ZIP without the photos');
  assert.equal(await page.locator('.card .name').first().inputValue(), 'kept across reloads');

  // re-cluster after the reload: from the saved embeddings, nothing encoded again
  await page.selectOption('#k2', '3');
  await page.click('#recluster');
  await page.waitForFunction(() => !(/** @type {any} */ (window).vlcDemo.running) && /** @type {any} */ (window).vlcDemo.result, null, { timeout: TIMEOUT });
  const r = await page.evaluate(() => /** @type {any} */ (window).vlcDemo.result);
  assert.equal(r.encodeRuns, 1);
  groupsIntact(await clusterNames());
  assert.equal((await clusterNames()).length, 3);

  // the same photos added again: back in their clusters
  await dropGeneratedFiles();
  await page.evaluate(() => /** @type {any} */ (window).vlcDemo.thumbnailsReady);
  assert.deepEqual(await page.evaluate(() => /** @type {any} */ (window).vlcDemo.missing), []);
  assert.equal(await page.locator('#clusters .thumb.missing').count(), 0);
  assert.equal((await clusterNames()).length, 3, 'the clusters stay');
  assert.equal(await page.locator('#start').isDisabled(), false);

  // allowed to keep the photos: a reload brings them (thumbnails) back too
  await page.check('#keep-photos');
  await waitSaved();
  await page.reload();
  await page.evaluate(() => /** @type {any} */ (window).vlcDemo.restored);
  await page.evaluate(() => /** @type {any} */ (window).vlcDemo.thumbnailsReady);
  assert.deepEqual(await page.evaluate(() => /** @type {any} */ (window).vlcDemo.missing), []);
  assert.equal(await page.locator('#clusters .thumb img[src^="blob:"]').count(), 12);
  assert.equal(await page.locator('#keep-photos').isChecked(), true);
  // not kept for the tests that follow (they reload the page and add the photos again)
  await page.uncheck('#keep-photos');
  await waitSaved();
});

test('model cache: a second run loads the model from Cache Storage, not the network', { skip: skipCore, timeout: TIMEOUT }, async () => {
  const cached = await page.evaluate(async () => {
    const c = await caches.open('vlcluster-models');
    return (await c.keys()).map((r) => new URL(r.url).pathname).sort();
  });
  assert.deepEqual(cached, ['merges.txt', 'nouns.f16.bin', 'nouns.json', 'text_model.onnx', 'vision_model.onnx', 'vocab.json'].map((f) => `/models/tiny-clip/${f}`));
  const n = requests.length;
  await page.selectOption('#k', '3');
  await runAndWait();
  const fresh = requests.slice(n).filter((u) => u.includes('/models/'));
  assert.deepEqual(fresh, [], 'model files were not requested again');
  assert.match(await page.textContent('#backend') ?? '', /model from cache/);
  groupsIntact(await clusterNames());
});

test('model choice: the URL field is enabled with its radio; a bad URL is reported, nothing fetched', { skip: skipBrowser }, async () => {
  await page.check('input[name=model][value=url]');
  assert.equal(await page.locator('#model-url').isDisabled(), false);
  await page.fill('#model-url', 'ftp://example.org/clip/');
  await page.click('#start');
  assert.match(await page.textContent('#status.error') ?? '', /must be http\(s\)/);
  await page.fill('#model-url', 'Xenova/clip-vit-base-patch32');
  await page.click('#start');
  assert.match(await page.textContent('#status.error') ?? '', /"Xenova\/clip-vit-base-patch32" is a hub id: type the base URL of the model hub/);
  assert.ok(!requests.some((u) => u.includes('example.org')));
  await page.check('input[name=model][value=tiny]');
  assert.equal(await page.locator('#model-url').isDisabled(), true);
});

/** The model host of the next test: another origin (another port), with CORS. */
let modelHost = '';

test('model from a URL on another origin (CORS): only its six files are fetched from there, then cached', { skip: skipCore, timeout: TIMEOUT }, async () => {
  const other = await startServer({ port: 0, cors: true });
  modelHost = other.url.replace(/\/$/, '');
  try {
    await page.check('input[name=model][value=url]');
    await page.fill('#model-url', `${modelHost}/models/tiny-clip`);
    await page.selectOption('#k', '3');
    const n = requests.length;
    await runAndWait();
    const there = requests.slice(n).filter((u) => u.startsWith(modelHost)).map((u) => new URL(u).pathname).sort();
    // the six files, after the Transformers.js layout's onnx/ paths were asked for (404)
    assert.deepEqual(there, ['merges.txt', 'nouns.f16.bin', 'nouns.json', 'onnx/text_model.onnx', 'onnx/vision_model.onnx', 'text_model.onnx', 'vision_model.onnx', 'vocab.json'].map((f) => `/models/tiny-clip/${f}`));
    assert.match(await page.textContent('#backend') ?? '', /downloaded and cached/);
    groupsIntact(await clusterNames());
  } finally {
    other.server.close();
    await page.check('input[name=model][value=tiny]');
  }
});

/** The hub of the next test (web/testing/hub.mjs: the tiny model in the Transformers.js layout). */
let hubHost = '';

test('model by hub id (?model=…&hub=…&dtype=q8): the quantized files from the hub, the vocabulary built in the browser and kept in IndexedDB', { skip: skipCore, timeout: TIMEOUT }, async () => {
  const hub = await serveHub();
  hubHost = hub.base;
  try {
    await page.goto(`${origin}/web/demo/?model=test/tiny-clip&hub=${encodeURIComponent(hub.base)}&dtype=q8`);
    assert.equal(await page.locator('input[name=model][value=url]').isChecked(), true, 'the address chose the model');
    assert.equal(await page.inputValue('#hub-url'), hub.base);
    assert.equal(await page.locator('#model-dtype').isDisabled(), false);
    await dropGeneratedFiles();
    await page.selectOption('#k', '3');
    await runAndWait();
    assert.ok(hub.requests.includes('/test/tiny-clip/resolve/main/onnx/vision_model_quantized.onnx'), hub.requests.join(' '));
    assert.ok(hub.requests.includes('/test/tiny-clip/resolve/main/tokenizer.json'));
    assert.ok(!hub.requests.some((r) => /\/onnx\/vision_model\.onnx$/.test(r)), 'not the fp32 file');
    const stored = await page.evaluate(() => new Promise((resolve) => {
      const req = indexedDB.open('vlcluster-vocabulary');
      req.onsuccess = () => {
        const all = req.result.transaction('bytes').objectStore('bytes').getAllKeys();
        all.onsuccess = () => resolve(all.result.length);
      };
      req.onerror = () => resolve(-1);
    }));
    assert.equal(stored, 2, 'nouns.json + nouns.f16.bin of the built vocabulary');
    const clusters = await clusterNames();
    assert.equal(clusters.length, 3);
    assert.ok(clusters.every((c) => c.name), 'every cluster is named');
  } finally {
    await hub.close();
    await page.goto(`${origin}/web/demo/`);
  }
});

test('phone, 220 photos: the progress is in view after tapping Group; the map shows every cluster, the smallest (11 photos) not hidden; an ETA is given', { skip: skipCore, timeout: 4 * TIMEOUT }, async () => {
  const phone = await context.newPage();
  phone.on('pageerror', (e) => pageErrors.push(e.message));
  phone.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  phone.on('dialog', (d) => d.accept());
  await phone.setViewportSize({ width: 390, height: 844 });
  await phone.goto(`${origin}/web/demo/`);
  await phone.evaluate(() => /** @type {any} */ (window).vlcDemo.restored);
  if (!(await phone.locator('#clear').isDisabled())) await phone.click('#clear');
  const SIZES = [120, 89, 11];
  await phone.evaluate(async (sizes) => {
    const files = [];
    for (let g = 0; g < sizes.length; g++) {
      for (let j = 0; j < sizes[g]; j++) {
        const c = new OffscreenCanvas(160 + (j % 40), 120 + (j % 17));
        const x = /** @type {OffscreenCanvasRenderingContext2D} */ (c.getContext('2d'));
        x.fillStyle = ['#dd2222', '#22aa22', '#101010'][g];
        x.fillRect(0, 0, c.width, c.height);
        x.fillStyle = ['#ffffff', '#000000', '#606060'][g];
        // one small mark per photo, in a place of its own: the photos differ, each group's colours stay
        x.fillRect((j * 37) % (c.width - 24), (j * 53) % (c.height - 24), 12 + (j % 12), 12 + (j % 9));
        files.push(new File([await c.convertToBlob({ type: 'image/jpeg', quality: 0.9 })], `s${g}_${j}.jpg`, { type: 'image/jpeg', lastModified: 1 }));
      }
    }
    /** @type {any} */ (window).vlcDemo.addFiles(files);
  }, SIZES);
  await phone.selectOption('#k', '3');
  await phone.evaluate(() => window.scrollTo(0, 0));
  await phone.click('#start');
  // the bars are on screen (smooth scroll: give it a moment)
  await phone.waitForFunction(() => {
    const r = /** @type {HTMLElement} */ (document.querySelector('#progress .stage[data-stage=decode]')).getBoundingClientRect();
    return r.top >= 0 && r.bottom <= innerHeight;
  }, null, { timeout: 5000 });
  /** @type {string[]} the bars' texts while it runs */
  const etaSeen = [];
  while (await phone.evaluate(() => /** @type {any} */ (window).vlcDemo.running)) {
    etaSeen.push(...await phone.locator('.stage .count').allTextContents());
    await phone.waitForTimeout(150);
  }
  const clusters = await phone.evaluate(() => /** @type {any} */ (window).vlcDemo.clusters);
  assert.equal(clusters.length, 3, await phone.textContent('#status') ?? '');
  assert.equal(clusters.reduce((a, c) => a + c.members.length, 0), 220);
  // every cluster's dots can be seen: pixels of its colour on the map, several per photo
  const visible = await phone.evaluate(() => {
    const c = /** @type {HTMLCanvasElement} */ (document.querySelector('#map'));
    const d = /** @type {CanvasRenderingContext2D} */ (c.getContext('2d')).getImageData(0, 0, c.width, c.height).data;
    const probe = /** @type {CanvasRenderingContext2D} */ (new OffscreenCanvas(1, 1).getContext('2d'));
    return [...document.querySelectorAll('#legend li')].map((li) => {
      probe.fillStyle = /** @type {HTMLElement} */ (li).style.getPropertyValue('--c');
      probe.fillRect(0, 0, 1, 1);
      const [r, g, b] = probe.getImageData(0, 0, 1, 1).data;
      let n = 0;
      for (let i = 0; i < d.length; i += 4) if (Math.abs(d[i] - r) + Math.abs(d[i + 1] - g) + Math.abs(d[i + 2] - b) < 30) n++;
      return { label: li.textContent, n, members: Number(/\((\d+)\)$/.exec(li.textContent ?? '')?.[1]) };
    });
  });
  for (const v of visible) assert.ok(v.n >= 8 * v.members, `${v.label}: ${v.n} px of its colour for ${v.members} photos`);
  // the smallest cluster (drawn last) is not hidden under the others: about as many pixels per photo as the largest
  const [largest, smallest] = [visible.reduce((a, b) => (b.members > a.members ? b : a)), visible.reduce((a, b) => (b.members < a.members ? b : a))];
  // the small group of 11 is a cluster of its own (forced: K = 3 and three groups 120/89/11), and
  // its points are not hidden under the others: about as many pixels per photo as the largest's
  const composition = await phone.evaluate(() => {
    const d = /** @type {any} */ (window).vlcDemo;
    return d.clusters.map((/** @type {any} */ c) => [0, 1, 2].map((g) => c.members.filter((/** @type {number} */ i) => d.files[i].startsWith(`s${g}_`)).length));
  });
  assert.ok(smallest.members <= 11, `the smallest cluster has ${smallest.members} photos (groups per cluster: ${JSON.stringify(composition)})`);
  assert.ok(composition.some((c) => c[2] === 11 && c[0] + c[1] === 0), `the 11 dark photos are one cluster: ${JSON.stringify(composition)}`);
  assert.ok(smallest.n / smallest.members >= 0.8 * (largest.n / largest.members), JSON.stringify(visible));
  // an ETA was shown while it ran, from the recent rate (lib.js etaRecent; node test above)
  assert.ok(etaSeen.some((t) => /about .* left/.test(t)), `no ETA seen: ${etaSeen.slice(0, 5)}`);
  await phone.screenshot({ path: join(shots, 'demo-390x844-220-photos.png'), fullPage: true });
  await phone.close();
});

test('privacy: every request stayed on the page origin; no page or console errors', { skip: skipBrowser }, async () => {
  assert.ok(requests.length > 0);
  // The one exception: the model files of the model URL the user typed (the test above).
  const chosenModel = (/** @type {URL} */ url) => modelHost && url.origin === modelHost && url.pathname.startsWith('/models/tiny-clip/');
  const outside = requests.filter((u) => {
    const url = new URL(u);
    if (url.protocol === 'blob:') return new URL(url.pathname).origin !== origin; // blob:http://127.0.0.1:port/uuid
    if (url.protocol === 'data:') return false; // inline, not a request to anyone
    return url.origin !== origin && !chosenModel(url) && !(hubHost && url.origin === hubHost && url.pathname.startsWith('/test/tiny-clip/'));
  });
  assert.deepEqual(outside, [], `requests outside ${origin}`);
  assert.deepEqual(pageErrors, []);
  assert.deepEqual(consoleErrors, [], 'no console errors (CSP violations, failed loads)');
});
