// The browser's share of issue 18 item 4: M photos' embeddings clustered, named and mapped by the
// npm package's WebAssembly core in headless Chromium, against the native CLI on one thread on
// the same data in the same run. The data are the CLIP-faithful generator's (`vlcluster synth
// --setting`, the quality benchmark's: d = 512, B = 7 templates, its 2,500-noun WordNet
// vocabulary), written under build/bench-browser/.
//
//   node bench/browser-cluster.mjs [--setting stl10|dogs|cifar20] [--m 500] [--k K] [--repeat 5]
//                                  [--cli build/native/native/vlcluster]
//
// Needs web/dist (scripts/build-wasm), the native CLI (scripts/test builds it), playwright-core
// and /usr/bin/chromium. Prints one markdown table: per stage the best of R runs in Chromium
// (clusterEmbeddings with nameClusters and the 2-D map, in the page's own thread) and natively
// (OMP_NUM_THREADS=1), their ratio, and the wall time of the whole call in the page, which is
// what the target (< 2 s for 500 photos) is about. Not a test: nothing is asserted on time.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium, loadPlaywright, missingBrowser, serveStatic } from '../web/testing/chromium.mjs';

const root = fileURLToPath(new URL('../', import.meta.url));
const arg = (/** @type {string} */ name, /** @type {string} */ dflt) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const SETTING = arg('--setting', 'stl10');
const M = Number(arg('--m', '500'));
const K = Number(arg('--k', { stl10: '10', dogs: '15', cifar20: '20' }[SETTING] ?? '10'));
const REPEAT = Number(arg('--repeat', '5'));
const CLI = arg('--cli', join(root, 'build/native/native/vlcluster'));

function fail(/** @type {string} */ why) {
  console.error(`bench/browser-cluster: ${why}`);
  process.exit(1);
}

const playwright = await loadPlaywright();
const missing = missingBrowser(playwright)
  ?? (!existsSync(join(root, 'web/dist/vlc_wasm.mjs')) ? 'web/dist/vlc_wasm.mjs missing (run scripts/build-wasm)' : null)
  ?? (!existsSync(CLI) ? `${CLI} missing (scripts/test builds it, or give --cli)` : null);
if (missing) fail(missing);

const rel = `build/bench-browser/${SETTING}-${M}`;
const dir = join(root, rel);
if (!existsSync(join(dir, 'images.npy'))) {
  mkdirSync(dir, { recursive: true });
  execFileSync(CLI, ['synth', '--out', dir, '--setting', SETTING, '--m', String(M), '--seed', '0'], { stdio: 'inherit' });
}

// Native reference: the same data, K and seed, one thread, best of R.
/** @type {Record<string, number>} */
const native = {};
let nativeWall = Infinity;
for (let r = 0; r < REPEAT; r++) {
  const out = join(dir, 'native.json');
  const t0 = process.hrtime.bigint();
  execFileSync(CLI, ['cluster', '--images', join(dir, 'images.npy'), '--nouns', join(dir, 'nouns.npy'), '--vocab',
    join(dir, 'words.txt'), '--k', String(K), '--seed', '0', '--quiet', '--out', out],
  { env: { ...process.env, OMP_NUM_THREADS: '1', OMP_WAIT_POLICY: 'passive' } });
  nativeWall = Math.min(nativeWall, Number(process.hrtime.bigint() - t0) / 1e9);
  const result = JSON.parse(readFileSync(out, 'utf8'));
  for (const { stage, seconds } of result.timings) native[stage] = Math.min(native[stage] ?? Infinity, seconds);
}

const PAGE = `<!doctype html><meta charset="utf-8"><title>vlcluster browser benchmark</title>
<script type="module">
import * as vlc from '/web/src/index.js';
window.vlc = vlc;
window.ready = true;
</script>`;
const server = await serveStatic(root, { '/bench.html': PAGE });
const browser = await launchChromium(playwright);
try {
  const page = await browser.context.newPage();
  await page.goto(`${server.base}/bench.html`);
  await page.waitForFunction(() => /** @type {any} */ (window).ready === true, null, { timeout: 30000 });
  const browserRun = await page.evaluate(async ({ base, k, repeat }) => {
    // .npy (version 1, little-endian float32, C order): the header is a Python dict literal.
    async function npy(/** @type {string} */ url) {
      const buf = await (await fetch(url)).arrayBuffer();
      const len = new DataView(buf).getUint16(8, true);
      const header = new TextDecoder().decode(new Uint8Array(buf, 10, len));
      if (!header.includes("'<f4'")) throw new Error(`${url}: not float32 (${header})`);
      const shape = header.match(/'shape': \(([^)]*)\)/)[1].split(',').filter((s) => s.trim()).map(Number);
      return { data: new Float32Array(buf.slice(10 + len)), shape };
    }
    const images = await npy(`${base}/images.npy`);
    const nouns = await npy(`${base}/nouns.npy`);
    // words.txt: a header "word<TAB>depth<TAB>parent", then one noun per line.
    const rows = (await (await fetch(`${base}/words.txt`)).text()).split('\n').filter(Boolean).slice(1).map((l) => l.split('\t'));
    const words = rows.map((r) => r[0]);
    const depths = rows.map((r) => Number(r[1]));
    const [m, d] = images.shape;
    const [b] = nouns.shape;
    const vlc = /** @type {any} */ (window).vlc;
    /** @type {Record<string, number>} */
    const stages = {};
    let wall = Infinity;
    let last;
    for (let r = 0; r < repeat; r++) {
      const t0 = performance.now();
      last = await vlc.clusterEmbeddings(images.data, nouns.data, { numImages: m, dim: d, numTemplates: b, k, seed: 0, nameClusters: true, words, depths });
      wall = Math.min(wall, (performance.now() - t0) / 1000);
      for (const { stage, seconds } of last.timings) stages[stage] = Math.min(stages[stage] ?? Infinity, seconds);
    }
    return { stages, wall, m, names: last.names.length, map: last.embedding2d.length, labels: Array.from(last.labels) };
  }, { base: `${server.base}/${rel}`, k: K, repeat: REPEAT });

  const nativeLabels = JSON.parse(readFileSync(join(dir, 'native.json'), 'utf8')).labels;
  const same = Array.isArray(nativeLabels) && nativeLabels.length === browserRun.labels.length
    && nativeLabels.every((/** @type {number} */ l, /** @type {number} */ i) => l === browserRun.labels[i]);
  console.log(`${SETTING}-like, M = ${browserRun.m}, K = ${K}, best of ${REPEAT}; Chromium (WASM, page thread) against the native CLI ` +
    `(one thread); ${browserRun.names} clusters named, map ${browserRun.map / 2} points; labels ` +
    `${nativeLabels ? (same ? 'identical' : 'DIFFERENT') : 'not compared (no labels in result.json)'}`);
  console.log('');
  console.log('| stage | native s | Chromium s | Chromium / native |');
  console.log('| --- | ---: | ---: | ---: |');
  for (const [stage, s] of Object.entries(browserRun.stages)) {
    const n = native[stage];
    console.log(`| ${stage} | ${n === undefined ? '—' : n.toFixed(3)} | ${s.toFixed(3)} | ${n ? (s / n).toFixed(2) : '—'} |`);
  }
  console.log(`| **whole call** (native: process wall) | ${nativeWall.toFixed(3)} | ${browserRun.wall.toFixed(3)} | ${(browserRun.wall / nativeWall).toFixed(2)} |`);
  console.log('');
  console.log(`clustered, named and mapped in Chromium: ${browserRun.wall.toFixed(2)} s for ${browserRun.m} images (target < 2 s: ${browserRun.wall < 2 ? 'met' : 'missed'})`);
  if (browser.offsite.length) fail(`requests left the machine: ${browser.offsite.join(', ')}`);
} finally {
  await browser.close();
  await server.close();
}
