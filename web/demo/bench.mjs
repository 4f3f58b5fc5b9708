// Benchmark of the demo's decoding (issue 16 item 4): decode + exact CLIP preprocessing per
// 12-megapixel JPEG in headless Chromium, the fast path (decode.js) against the package's
// full-resolution path in the same run, each split into its decode and its preprocess, and the
// browser's memory while the demo groups 500 such photos.
//
//   node web/demo/bench.mjs [--photos 500] [--repeat 8]
//
// Prints a table and two lines a script can read:
//   | path | decode ms | preprocess ms | total ms | Chromium CPU ms | ratio |   (per photo)
//   decode+preprocess: fast X ms/photo, full Y ms/photo, ratio full/fast R (4000×3000 JPEG, N runs)
//   memory: page (largest renderer) P MB, all Chromium processes T MB peak RSS, 500 photos grouped in S s
// "Chromium CPU ms" is the CPU time all of Chromium's processes used per photo (/proc: the JPEG
// decoder runs on threads of its own), which a machine shared with other jobs inflates less than
// the wall time. Targets: fast ≤ 20 ms/photo, page ≤ 600 MB. The JPEGs are made here with jpeg-js (pure JS):
// DISTINCT photos, hard-linked under 500 names, so that the page reads them from disk as a
// user's photos (file-backed File objects) without 1.5 GB of disk. (The core folds identical
// photos before choosing K, so there must be a few distinct ones for the run to cluster.)
import { mkdtempSync, writeFileSync, linkSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import { chromium } from 'playwright-core';
import { startServer } from './serve.mjs';

const arg = (/** @type {string} */ name, /** @type {number} */ dflt) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const PHOTOS = arg('--photos', 500);
const REPEAT = arg('--repeat', 8);
const DISTINCT = 10;
const W = 4000;
const H = 3000;

/** A photo-like 4000×3000 JPEG: smooth gradients, a few shapes, fine noise (so it is not tiny). */
export function syntheticPhoto(seed = 1, width = W, height = H) {
  const data = Buffer.alloc(width * height * 4);
  let s = seed * 2654435761 >>> 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      s = (s * 1664525 + 1013904223) >>> 0;
      const n = (s >>> 24) & 15;
      const i = (y * width + x) * 4;
      const disc = ((x - width * 0.6) ** 2 + (y - height * 0.4) ** 2) < (height * 0.25) ** 2;
      data[i] = disc ? 220 - n : (x * 255 / width) * ((seed % 5) / 5 + 0.2) + n;
      data[i + 1] = disc ? 60 + 15 * (seed % 7) + n : (y * 255 / height) * 0.8 + n;
      data[i + 2] = disc ? 40 : 120 + ((x >> 6) + (y >> 6)) % 2 * 60 + n;
      data[i + 3] = 255;
    }
  }
  return jpeg.encode({ data, width, height }, 85).data;
}

/** Resident memory (MB) of every process under the Chromium that uses this profile directory. */
function chromiumRss(/** @type {string} */ profile) {
  const procs = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const rss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
      procs.push({ pid: Number(pid), ppid, cmd, rss });
    } catch { /* gone */ }
  }
  const roots = procs.filter((p) => p.cmd.includes(profile) && !p.cmd.includes('--type='));
  const tree = new Set(roots.map((p) => p.pid));
  for (let grew = true; grew;) {
    grew = false;
    for (const p of procs) if (!tree.has(p.pid) && tree.has(p.ppid)) { tree.add(p.pid); grew = true; }
  }
  const mine = procs.filter((p) => tree.has(p.pid));
  const renderers = mine.filter((p) => p.cmd.includes('--type=renderer'));
  return { total: mine.reduce((a, p) => a + p.rss, 0), page: Math.max(0, ...renderers.map((p) => p.rss)) };
}

/** CPU time (ms, user + system) used so far by every process under this profile's Chromium. */
function chromiumCpuMs(/** @type {string} */ profile) {
  const tick = 1000 / 100;  // USER_HZ: 100 on Linux
  /** @type {Map<number, {ppid: number, cpu: number, cmd: string}>} */
  const procs = new Map();
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      procs.set(Number(pid), { ppid: Number(f[1]), cpu: (Number(f[11]) + Number(f[12])) * tick, cmd: readFileSync(`/proc/${pid}/cmdline`, 'utf8') });
    } catch { /* gone */ }
  }
  const tree = new Set([...procs].filter(([, p]) => p.cmd.includes(profile) && !p.cmd.includes('--type=')).map(([pid]) => pid));
  for (let grew = true; grew;) {
    grew = false;
    for (const [pid, p] of procs) if (!tree.has(pid) && tree.has(p.ppid)) { tree.add(pid); grew = true; }
  }
  let cpu = 0;
  for (const pid of tree) cpu += /** @type {{cpu: number}} */ (procs.get(pid)).cpu;
  return cpu;
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'vlc-bench-'));
  const profile = join(dir, 'profile');
  const photos = Array.from({ length: DISTINCT }, (_, i) => syntheticPhoto(i + 1));
  photos.forEach((b, i) => writeFileSync(join(dir, `src${i}.jpg`), b));
  const paths = [];
  for (let i = 0; i < PHOTOS; i++) {
    const p = join(dir, `photo_${String(i).padStart(4, '0')}.jpg`);
    linkSync(join(dir, `src${i % DISTINCT}.jpg`), p);
    paths.push(p);
  }
  const { server, url } = await startServer({ port: 0 });
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    viewport: { width: 1280, height: 800 },
  });
  try {
    const page = await context.newPage();
    await page.goto(`${url.replace(/\/$/, '')}/web/demo/`);
    /**
     * ms per photo of the decode and of preprocessImage on the path `which`, and the CPU time all
     * Chromium processes used per photo meanwhile.
     * @param {'fast' | 'full'} which
     */
    const measure = async (which) => {
      const cpu0 = chromiumCpuMs(profile);
      const ms = await page.evaluate(async ({ b64, repeat, which }) => {
        const { decodeForClip } = await import('./decode.js');
        const { preprocessImage, decodeImage } = await import('../src/preprocess.js');
        const blob = new Blob([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))], { type: 'image/jpeg' });
        // the demo's path (decode.js) or the package's (decodeImage: full resolution)
        const decode = which === 'fast' ? decodeForClip : decodeImage;
        preprocessImage(await decode(blob)); // warm up
        let decoding = 0;
        let preprocessing = 0;
        for (let i = 0; i < repeat; i++) {
          const t0 = performance.now();
          const image = await decode(blob);
          const t1 = performance.now();
          preprocessImage(image);
          decoding += t1 - t0;
          preprocessing += performance.now() - t1;
        }
        return { decode: decoding / repeat, preprocess: preprocessing / repeat };
      }, { b64: photos[0].toString('base64'), repeat: REPEAT, which });
      return { ...ms, total: ms.decode + ms.preprocess, cpu: (chromiumCpuMs(profile) - cpu0) / (REPEAT + 1) };
    };
    const fast = await measure('fast');
    const full = await measure('full');
    console.log('| path | decode ms | preprocess ms | total ms | Chromium CPU ms | ratio full/fast |');
    console.log('|---|---:|---:|---:|---:|---:|');
    for (const [name, t] of /** @type {const} */ ([['fast (decode.js)', fast], ['full resolution (decodeImage)', full]])) {
      console.log(`| ${name} | ${t.decode.toFixed(1)} | ${t.preprocess.toFixed(1)} | ${t.total.toFixed(1)} | ${t.cpu.toFixed(0)} | ${(t.total / fast.total).toFixed(1)} |`);
    }
    console.log(`decode+preprocess: fast ${fast.total.toFixed(1)} ms/photo, full ${full.total.toFixed(1)} ms/photo, ratio full/fast ${(full.total / fast.total).toFixed(1)} (${W}×${H} JPEG, ${REPEAT} runs)`);
    // The memory in a page of its own (its own renderer process): the full-resolution timing
    // above leaves a large heap behind that RSS would keep counting.
    await page.close();
    const demo = await context.newPage();
    await demo.goto(`${url.replace(/\/$/, '')}/web/demo/`);
    await demo.evaluate(() => /** @type {any} */ (window).vlcDemo.restored);
    const idle = chromiumRss(profile);
    console.log(`# idle demo page: ${idle.page.toFixed(0)} MB (largest renderer), ${idle.total.toFixed(0)} MB all processes`);

    let peak = { total: 0, page: 0 };
    const sample = () => {
      const m = chromiumRss(profile);
      peak = { total: Math.max(peak.total, m.total), page: Math.max(peak.page, m.page) };
    };
    const timer = setInterval(sample, 250);
    const t0 = Date.now();
    await demo.setInputFiles('#pick-files', paths);
    // K given: automatic K over 500 photos of 10 distinct images asks the core for 51 eigenpairs
    // of a graph of 10 points repeated, which Lanczos does not resolve; speed and memory are
    // what this measures, not the choice of K.
    await demo.selectOption('#k', '5');
    await demo.click('#start');
    await demo.waitForFunction(() => {
      const d = /** @type {any} */ (window).vlcDemo;
      return !d.running && (d.clusters.length > 0 || document.querySelector('#status')?.classList.contains('error'));
    }, null, { timeout: 30 * 60_000, polling: 500 });
    await demo.evaluate(() => /** @type {any} */ (window).vlcDemo.thumbnailsReady);
    sample();
    clearInterval(timer);
    const seconds = (Date.now() - t0) / 1000;
    const status = await demo.textContent('#status');
    console.log(`memory: page (largest renderer) ${peak.page.toFixed(0)} MB, all Chromium processes ${peak.total.toFixed(0)} MB peak RSS, ${PHOTOS} photos grouped in ${seconds.toFixed(1)} s`);
    console.log(`# ${status}`);
  } finally {
    await context.close();
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
