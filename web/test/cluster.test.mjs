// clusterEmbeddings / the WebAssembly core (web/dist/vlc_wasm.mjs, built by scripts/build-wasm):
// (a) the same labels as the native CLI on the same synthetic data, (b) core errors arrive as JS
// Error objects with the core's message, plus the noun filter, naming and the vocabulary asset.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  clusterEmbeddings, filterNouns, loadVlcModule, loadVocabulary, ensembleNouns, floatToHalf, halfToFloat, TEMPLATES, defaultQ,
} from '../src/cluster.js';
import { runPipeline } from '../src/photo_session.js';
import { TABLE_OPTION_KEYS } from '../src/options.js';
import { colourPhotos, tinyModel, toy } from '../testing/data.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const cli = process.env.VLC_CLI ?? join(root, 'build/native/native/vlcluster');

/** Minimal .npy reader (v1/v2/v3, little-endian f4/f8/i4/i8, C order). */
export function readNpy(path) {
  const buf = readFileSync(path);
  assert.equal(buf.toString('latin1', 1, 6), 'NUMPY');
  const major = buf[6];
  const hlen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = (major === 1 ? 10 : 12) + hlen;
  const header = buf.toString('latin1', major === 1 ? 10 : 12, start);
  const descr = /'descr':\s*'([^']+)'/.exec(header)[1];
  assert.match(header, /'fortran_order':\s*False/);
  const shape = /'shape':\s*\(([^)]*)\)/.exec(header)[1].split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  const bytes = buf.subarray(start);
  const ab = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  const types = { '<f4': Float32Array, '<f8': Float64Array, '<i4': Int32Array, '<i8': BigInt64Array };
  assert.ok(types[descr], `unsupported dtype ${descr}`);
  return { data: new types[descr](ab), shape };
}

/** Adjusted Rand index of two labelings. */
function ari(a, b) {
  const n = a.length;
  const key = new Map();
  const ra = new Map();
  const rb = new Map();
  for (let i = 0; i < n; i++) {
    const k = `${a[i]},${b[i]}`;
    key.set(k, (key.get(k) ?? 0) + 1);
    ra.set(a[i], (ra.get(a[i]) ?? 0) + 1);
    rb.set(b[i], (rb.get(b[i]) ?? 0) + 1);
  }
  const c2 = (x) => (x * (x - 1)) / 2;
  let sij = 0; for (const v of key.values()) sij += c2(v);
  let sa = 0; for (const v of ra.values()) sa += c2(v);
  let sb = 0; for (const v of rb.values()) sb += c2(v);
  const expected = (sa * sb) / c2(n);
  const max = (sa + sb) / 2;
  return max === expected ? 1 : (sij - expected) / (max - expected);
}

/** Same partition up to a renaming of the labels. */
function samePartition(a, b) {
  if (a.length !== b.length) return false;
  const ab = new Map();
  const ba = new Map();
  for (let i = 0; i < a.length; i++) {
    const x = Number(a[i]);
    const y = Number(b[i]);
    if ((ab.has(x) && ab.get(x) !== y) || (ba.has(y) && ba.get(y) !== x)) return false;
    ab.set(x, y);
    ba.set(y, x);
  }
  return true;
}

const haveCli = existsSync(cli);

function synth(dir, args) {
  execFileSync(cli, ['synth', '--out', dir, ...args], { stdio: 'pipe' });
  const images = readNpy(join(dir, 'images.npy'));
  const nouns = readNpy(join(dir, 'nouns.npy'));
  const truth = readNpy(join(dir, 'truth.npy'));
  return { images, nouns, truth: Array.from(truth.data, Number) };
}

test('the WASM module loads and reports its version', async () => {
  const mod = await loadVlcModule();
  // One version source: package.json (CMakeLists.txt reads it into VLC_VERSION).
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
  assert.equal(mod.version(), pkg.version);
  assert.deepEqual(mod.kRange(100, 2, 0), [2, 20]);
});

test('clusterEmbeddings gives the native CLI\'s labels on the same synthetic data (fixed K and auto K)', { skip: haveCli ? false : `${cli} not built (scripts/test builds it)` }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vlc-cross-'));
  try {
    const { images, nouns, truth } = synth(dir, ['--m', '300', '--k', '6', '--d', '32', '--vocab', '60', '--seed', '3']);
    const [b, l, d] = nouns.shape;
    assert.equal(images.shape[1], d);
    for (const [k, extra] of [['6', []], ['auto', ['--kmax', '10']]]) {
      const labelsPath = join(dir, `labels-${k}.npy`);
      execFileSync(cli, ['cluster', '--images', join(dir, 'images.npy'), '--nouns', join(dir, 'nouns.npy'), '--k', k,
        ...extra, '--labels-out', labelsPath, '--quiet', '--threads', '1'], { stdio: 'pipe' });
      const native = Array.from(readNpy(labelsPath).data, Number);
      const r = await clusterEmbeddings(images.data, nouns.data, {
        dim: d, numImages: images.shape[0], numTemplates: b, k: k === 'auto' ? 'auto' : Number(k), q: 30, ...(k === 'auto' ? { kmax: 10 } : {}),
      });
      assert.equal(r.labels.length, 300);
      assert.ok(r.labels instanceof Int32Array);
      assert.equal(ari(Array.from(r.labels), native), 1, `k=${k}: ARI(wasm, native) must be 1`);
      assert.ok(samePartition(r.labels, native), `k=${k}: identical partitions`);
      assert.equal(r.k, new Set(native).size);
      assert.equal(r.beta.length, b);
      assert.ok(r.keptNouns.length > 0 && r.keptNouns.length <= l);
      assert.ok(r.timings.some((t) => t.stage === 'spectral'));
      assert.ok(r.graphs.length === b && r.graphs[0].nodes === 300);
      assert.ok(ari(Array.from(r.labels), truth) > 0.5, 'and it finds the classes');
      if (k === 'auto') {
        assert.ok(r.kEstimate && r.kEstimate.candidates.length === 9, 'curves over kmin..kmax = 2..10');
        assert.equal(r.kCurve.length, 9);
        assert.equal(typeof r.kCurve[0].codingLength, 'number');
      } else {
        assert.equal(r.kEstimate, null);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('core errors arrive as JS Error objects with the core\'s message', async () => {
  const { images, templates, d, m } = toy();
  await assert.rejects(clusterEmbeddings(images, templates, { dim: d, numImages: m, k: m + 1 }), (e) => {
    assert.ok(e instanceof Error, 'an Error');
    assert.match(e.message, /k|K/);
    assert.match(e.message, new RegExp(String(m)));
    assert.deepEqual({ ...e.input }, { kind: 'option', option: 'k' }, 'tagged with the option (vlc::Error::input)');
    return true;
  });
  const bad = images.slice();
  bad[7 * d + 3] = NaN;
  await assert.rejects(clusterEmbeddings(bad, templates, { dim: d, numImages: m, k: 3 }), (e) => {
    assert.ok(e instanceof Error);
    assert.match(e.message, /images/);
    assert.match(e.message, /\b7\b/, 'names the row');
    assert.deepEqual({ ...e.input }, { kind: 'images', row: 7 }, 'tagged with the input and its row');
    return true;
  });
  const badTemplate = templates.map((t) => t.slice());
  badTemplate[1][2 * d] = Infinity;  // template 1, noun row 2
  await assert.rejects(clusterEmbeddings(images, badTemplate, { dim: d, numImages: m, k: 3 }),
    (e) => { assert.deepEqual({ ...e.input }, { kind: 'template', index: 1, row: 2 }); return true; });
  await assert.rejects(clusterEmbeddings(images, templates, { dim: d, numImages: m, k: 3, method: 'nope' }), /unknown method "nope"/);
  await assert.rejects(clusterEmbeddings(images, templates, { dim: d, numImages: m, k: 3, q: m }), /q = 30|q = \d+ must be smaller/);
  const mod = await loadVlcModule();
  assert.throws(() => mod.cluster(images, templates[0], { m, d, b: 1, l: 5 }, { k: 3 }), /templates has 320 values; expected 80/);
  // The module still works after errors.
  const r = await clusterEmbeddings(images, templates, { dim: d, numImages: m, k: 3 });
  assert.equal(r.k, 3);
});

test('clusterEmbeddings: groups, names, words, text-free methods, rows as arrays', async () => {
  const { images, templates, d, m, l } = toy();
  const truth = Array.from({ length: m }, (_, i) => i % 3);
  const words = Array.from({ length: l }, (_, i) => `noun${i}`);
  const r = await clusterEmbeddings(images, templates, { dim: d, numImages: m, k: 3, nameClusters: true, words });
  assert.ok(samePartition(r.labels, truth));
  assert.equal(r.names.length, 3);
  assert.equal(r.names.reduce((s, n) => s + n.size, 0), m);
  assert.ok(r.names[0].words[0].startsWith('noun'));
  const shares = Array.from(r.names[0].shares);
  // vote shares of distinct nouns, ordered by distinctiveness (class-based TF-IDF), not by share
  assert.ok(shares.every((x) => x > 0 && x <= 1), `${shares}`);
  assert.ok(shares.reduce((s, x) => s + x, 0) <= 1 + 1e-9, `${shares}`);
  const rows = Array.from({ length: m }, (_, i) => images.subarray(i * d, (i + 1) * d));
  for (const method of ['kmeans', 'cosine', 'ntk-mean']) {
    const r2 = await clusterEmbeddings(rows, templates, { k: 3, method });
    assert.ok(samePartition(r2.labels, truth), method);
  }
  const auto = await clusterEmbeddings(images, templates, { dim: d, numImages: m, k: 'auto', kmax: 6 });
  assert.ok(auto.k >= 2 && auto.k <= 6, `auto K in 2..6, got ${auto.k}`);
  assert.equal(auto.kCurve.length, 5);
  assert.equal(auto.kEstimate.k, auto.k);
  assert.equal(auto.kEstimate.rule, 'eigengap');
  assert.equal(auto.kEstimate.smallestCluster.length, 5, 'the size check: one entry per candidate');
  assert.ok(Array.from(auto.kEstimate.smallestCluster).some((n) => n > 0), 'it examined the chosen K at least');
  const plain = await clusterEmbeddings(images, templates, { dim: d, numImages: m, k: 'auto', kmax: 6, kMinClusterFraction: 0 });
  const gaps = Array.from(plain.kEstimate.eigengap);
  assert.equal(plain.k, plain.kEstimate.candidates[gaps.indexOf(Math.max(...gaps))], 'kMinClusterFraction 0: the largest gap');
  await assert.rejects(clusterEmbeddings(images, templates, { dim: d, numImages: m, k: 'auto', kMinClusterFraction: 1 }), /option kMinClusterFraction: must be below 1 \(got 1\)/);
  assert.equal(defaultQ(m), 9);
});

test('the options table: the package\'s keys are the core\'s optionNames(), each documented in index.d.ts; the core rejects an unknown key or a bad value naming it', async () => {
  const mod = await loadVlcModule();
  const names = mod.optionNames();
  assert.deepEqual(Array.from(names), [...TABLE_OPTION_KEYS], 'web/src/options.js TABLE_OPTION_KEYS = optionNames()');
  assert.ok(names.length >= 24 && names.includes('kMinClusterFraction') && !names.includes('device'));
  const dts = readFileSync(join(root, 'web/index.d.ts'), 'utf8');
  const core = dts.slice(dts.indexOf('export interface CoreOptions {'), dts.indexOf('\n}\n', dts.indexOf('export interface CoreOptions {')));
  const documented = [...core.matchAll(/^ {2}(\w+)\?:/gm)].map((x) => x[1]);
  assert.deepEqual(names.filter((n) => !documented.includes(n)), [], 'every table key is a CoreOptions field of index.d.ts');
  const { images, templates, d, m, l, b } = toy();
  const flat = Float32Array.from(templates.flatMap((t) => Array.from(t)));
  assert.throws(() => mod.cluster(images, flat, { m, d, b, l }, { k: 3, tua: 1 }), /unknown option "tua" \(did you mean "tau"\?\)/);
  assert.throws(() => mod.cluster(images, flat, { m, d, b, l }, { k: 3, nInit: 0 }), /option nInit: must be at least 1 \(got 0\)/);
  assert.throws(() => mod.cluster(images, flat, { m, d, b, l }, { k: 3, kBothCurves: 1 }), /option kBothCurves must be true or false/);
  assert.throws(() => mod.cluster(images, flat, { m, d, b, l }, { k: 'ten' }), /option k = "ten": give an integer ≥ 2 or auto/);
  await assert.rejects(clusterEmbeddings(images, templates, { dim: d, numImages: m, k: 3, q: 2000 }), /option q: must be at most 1000/);
  // The relations between options: the core's check_option_relations, as the CLI reports them.
  const relation = (/** @type {Record<string, any>} */ o) => {
    try {
      mod.cluster(images, flat, { m, d, b, l }, o);
    } catch (e) {
      return { message: /** @type {Error} */ (e).message, option: /** @type {any} */ (e).input?.option };
    }
    return null;
  };
  assert.deepEqual(relation({ k: 3, kMinClusterFraction: 0.1 }),
    { message: 'option kMinClusterFraction: only applies with automatic K (k = auto), not k = 3', option: 'kMinClusterFraction' });
  assert.deepEqual(relation({ k: 3, templateIndex: 1 }),
    { message: 'option templateIndex: only applies to method ntk-single, not ntk-rad', option: 'templateIndex' });
  assert.deepEqual(relation({ k: 'auto', kmin: 5, kmax: 3 }),
    { message: 'option kmax: must be at least 5 (kmin), or 0 for the default (got 3)', option: 'kmax' });
  // 'auto' and 0 are the same request.
  const auto = mod.cluster(images, flat, { m, d, b, l }, { k: 'auto', kmax: 5, q: defaultQ(m) });
  const zero = mod.cluster(images, flat, { m, d, b, l }, { k: 0, kmax: 5, q: defaultQ(m) });
  assert.deepEqual(Array.from(auto.labels), Array.from(zero.labels));
});

test('filterNouns keeps the nouns cluster() keeps on the whole vocabulary', async () => {
  const { images, templates, d, m, l, b } = toy();
  const tbar = ensembleNouns(Float32Array.from(templates.flatMap((t) => Array.from(t))), b, l, d);
  const f = await filterNouns(images, tbar, { dim: d, k: 3 });
  const r = await clusterEmbeddings(images, templates, { dim: d, numImages: m, k: 3, q: defaultQ(m) });
  assert.deepEqual(Array.from(f.kept), Array.from(r.keptNouns));
  assert.equal(f.kForCentres, 3);
  // With near-duplicates: filterNouns runs the session's §1, which merges them as cluster() does.
  const copies = new Float32Array((m + 12) * d);
  copies.set(images);
  for (let i = 0; i < 12; i++) copies.set(images.subarray(i * d, (i + 1) * d), (m + i) * d);
  const fd = await filterNouns(copies, tbar, { dim: d, k: 3 });
  const rd = await clusterEmbeddings(copies, templates, { dim: d, numImages: m + 12, k: 3, q: defaultQ(m) });
  assert.ok(rd.duplicateGroups.length >= 12, 'the copies are merged');
  assert.deepEqual(Array.from(fd.kept), Array.from(rd.keptNouns));
});

test('the core Session: the browser\'s stage order equals cluster(), a new K reuses the graphs, and every Result field arrives', async () => {
  const { images, templates, d, m, l, b } = toy();
  const flat = Float32Array.from(templates.flatMap((t) => Array.from(t)));
  const tbar = ensembleNouns(flat, b, l, d);
  const mod = await loadVlcModule();
  const options = { k: 3, q: defaultQ(m) };
  const direct = mod.cluster(images, flat, { m, d, b, l }, options);
  const session = new mod.Session(images, { m, d }, options);
  try {
    assert.throws(() => session.cluster(), /call filter_nouns first/);
    session.setVocabularyMean(tbar, l);
    const kept = Array.from(session.filterNouns());
    /** The kept nouns' rows of every template, B×|P|×d. @param {number[]} p */
    const wOf = (p) => {
      const w = new Float32Array(b * p.length * d);
      for (let t = 0; t < b; t++) p.forEach((noun, j) => w.set(templates[t].subarray(noun * d, (noun + 1) * d), (t * p.length + j) * d));
      return w;
    };
    session.setKeptTemplates(wOf(kept), b);
    const r = session.cluster();
    assert.deepEqual(Array.from(r.labels), Array.from(direct.labels));
    assert.deepEqual(Array.from(r.keptNouns), Array.from(direct.keptNouns));
    assert.deepEqual(Array.from(r.beta), Array.from(direct.beta));
    // Every field of vlc::Result (core/include/vlc/result_fields.hpp), camelCased, in the JS result.
    const header = readFileSync(join(root, 'core/include/vlc/result_fields.hpp'), 'utf8');
    const fields = [...header.matchAll(/v\("(\w+)", r\./g)].map((x) => x[1].replace(/_(\w)/g, (_, c) => c.toUpperCase()));
    assert.ok(fields.length >= 16 && fields.includes('keptNouns') && fields.includes('embedding2d'));
    for (const f of fields) assert.ok(f in r && f in direct, `result field ${f}`);
    // K = 10 and 11 on 30 images share k̃ = min(M, max(⌈M/300⌉, 3K)) = 30: the same kept nouns,
    // so a re-cluster reuses §1's result and the graphs and redoes only the partition.
    session.setOptions({ ...options, k: 10 });
    session.setKeptTemplates(wOf(Array.from(session.filterNouns())), b);
    session.cluster();
    const counts = session.counts();
    session.setOptions({ ...options, k: 11 });
    session.setKeptTemplates(wOf(Array.from(session.filterNouns())), b);
    const r11 = session.cluster();
    assert.deepEqual(session.counts(), { ...counts, partition: counts.partition + 1 });
    assert.deepEqual(Array.from(r11.labels), Array.from(mod.cluster(images, flat, { m, d, b, l }, { ...options, k: 11 }).labels));
  } finally {
    session.delete();
  }
});

test('float16 round trip and the tiny model\'s vocabulary asset', async () => {
  for (const x of [0, 1, -1, 0.5, 0.1, -0.333, 65504, 1e-5, 6e-8]) {
    const y = halfToFloat(floatToHalf(x));
    assert.ok(Math.abs(y - x) <= Math.abs(x) * 1e-3 + 6e-8, `${x} -> ${y}`);
  }
  const dir = join(root, 'models/tiny-clip/');
  const v = await loadVocabulary({ json: `${dir}nouns.json`, bin: `${dir}nouns.f16.bin` });
  assert.equal(v.dim, 64);
  assert.ok(v.words.length >= 300 && v.words.includes('dog') && v.words.includes('red'));
  assert.deepEqual(v.meta.templates, [...TEMPLATES]);
  assert.equal(v.embeddings.length, v.words.length * 64);
  let s = 0; for (let c = 0; c < 64; c++) s += v.embeddings[c] ** 2;
  assert.ok(Math.abs(s - 1) < 1e-6);
});

test('genericLevels: clusterEmbeddings never keeps nouns above the depth cut; bad depths are clear errors', async () => {
  const { images, templates, d, m, l } = toy();
  const base = await clusterEmbeddings(images, templates, { dim: d, numImages: m, k: 3, q: defaultQ(m) });
  const before = Array.from(base.keptNouns);
  assert.ok(before.length >= 3);
  const generic = new Set([before[0], before[2]]);
  const depths = Array.from({ length: l }, (_, i) => (generic.has(i) ? 2 : i === 1 ? -1 : 7));
  const r = await clusterEmbeddings(images, templates, { dim: d, numImages: m, k: 3, q: defaultQ(m), genericLevels: 5, depths });
  const kept = Array.from(r.keptNouns);
  assert.ok(kept.length > 0);
  assert.ok(kept.every((i) => !generic.has(i)), `kept ${kept} must not hold the generic ${[...generic]}`);
  assert.ok(before.filter((i) => !generic.has(i)).every((i) => kept.includes(i)), 'the other nouns stay kept');
  // 0 levels drop nothing; with nounMask both apply.
  const none = await clusterEmbeddings(images, templates, { dim: d, numImages: m, k: 3, q: defaultQ(m), genericLevels: 0, depths });
  assert.deepEqual(Array.from(none.keptNouns), before);
  const nounMask = new Uint8Array(l).fill(1);
  nounMask[before[1]] = 0;
  const both = await clusterEmbeddings(images, templates, { dim: d, numImages: m, k: 3, q: defaultQ(m), genericLevels: 5, depths, nounMask });
  assert.ok(Array.from(both.keptNouns).every((i) => !generic.has(i) && i !== before[1]));
  // Names: the masked nouns name nothing (the same vocabulary), another naming vocabulary is unmasked.
  const named = await clusterEmbeddings(images, templates, { dim: d, numImages: m, k: 3, q: defaultQ(m), genericLevels: 5, depths, nounMask, nameClusters: true });
  const namers = named.names.flatMap((n) => Array.from(n.nouns));
  assert.ok(namers.length > 0 && namers.every((i) => !generic.has(i) && i !== before[1]), `names ${namers}`);
  await assert.rejects(clusterEmbeddings(images, templates, { dim: d, numImages: m, k: 3, genericLevels: 5 }), /genericLevels needs options\.depths/);
  await assert.rejects(clusterEmbeddings(images, templates, { dim: d, numImages: m, k: 3, genericLevels: 5, depths: depths.slice(1) }),
    /options\.depths has 19 depths for 20 vocabulary nouns/);
  await assert.rejects(clusterEmbeddings(images, templates, { dim: d, numImages: m, k: 3, genericLevels: 5, depths: depths.map((x, i) => (i === 3 ? 2.5 : x)) }),
    /options\.depths\[3\] = 2\.5 is not a WordNet depth/);
  await assert.rejects(clusterEmbeddings(images, templates, { dim: d, numImages: m, k: 3, genericLevels: -1, depths }), /genericLevels = -1/);
});

test('genericLevels in the photo pipeline (tiny CLIP model, its vocabulary asset\'s depths)', async () => {
  const ort = await import('onnxruntime-web');
  const model = tinyModel('tiny-clip-test');
  const files = colourPhotos(12);
  const vocabulary = await loadVocabulary(model.vocabulary);
  assert.equal(vocabulary.depths.length, vocabulary.words.length);
  const depthOf = new Map(vocabulary.words.map((w, i) => [w, vocabulary.depths[i]]));
  const options = { model, ort, numThreads: 1, executionProviders: ['wasm'], k: 3, cache: false, worker: false };
  const plain = await runPipeline(files, options);
  const cut = 8;
  assert.ok(plain.keptNouns.some((w) => depthOf.get(w) >= 0 && depthOf.get(w) < cut), 'without the filter some kept nouns are shallower than the cut');
  const filtered = await runPipeline(files, { ...options, genericLevels: cut });
  assert.ok(filtered.keptNouns.length > 0);
  for (const w of filtered.keptNouns) assert.ok(depthOf.get(w) < 0 || depthOf.get(w) >= cut, `${w} (depth ${depthOf.get(w)}) kept`);
  // Names come from the whole vocabulary, but never from a noun the filter dropped.
  const named = filtered.clusters.flatMap((c) => [c.name, ...c.runnersUp.map((x) => x.noun)]).filter(Boolean);
  assert.ok(named.length > 0);
  for (const w of named) assert.ok(depthOf.get(w) < 0 || depthOf.get(w) >= cut, `${w} (depth ${depthOf.get(w)}) names a cluster`);
  assert.equal(filtered.labels.length, 12);
  await assert.rejects(runPipeline(files, { ...options, genericLevels: cut, vocabulary: { words: vocabulary.words, embeddings: vocabulary.embeddings } }),
    /genericLevels needs the vocabulary asset's "depths"/);
});

test('embedding2d: the spectral map, flat row-major M×2, for graph methods; empty without a graph', async () => {
  const { images, templates, d, m } = toy();
  for (const method of ['ntk-rad', 'ntk-mean', 'cosine', 'rbf']) {
    const r = await clusterEmbeddings(images, templates, { dim: d, numImages: m, k: 3, method });
    const xy = r.embedding2d;
    assert.ok(xy instanceof Float64Array, `${method}: a Float64Array`);
    assert.equal(xy.length, 2 * m, `${method}: M×2`);
    assert.ok(xy.every(Number.isFinite), `${method}: finite`);
    for (const c of [0, 1]) {
      const col = Array.from({ length: m }, (_, i) => xy[2 * i + c]);
      const big = col.reduce((a, b) => (Math.abs(b) > Math.abs(a) ? b : a), 0);
      assert.ok(Math.max(...col) - Math.min(...col) > 1e-6, `${method}: coordinate ${c} is not constant`);
      assert.ok(big > 0, `${method}: coordinate ${c}'s largest-magnitude entry is positive (the core's sign rule)`);
    }
    // The map shows the clustering: every image is nearer its own cluster's centre than any other's.
    const centres = Array.from({ length: r.k }, (_, c) => {
      const rows = [...r.labels.keys()].filter((i) => r.labels[i] === c);
      return [0, 1].map((j) => rows.reduce((s, i) => s + xy[2 * i + j], 0) / rows.length);
    });
    const nearest = (i) => centres.reduce((best, p, c) => {
      const dist = (xy[2 * i] - p[0]) ** 2 + (xy[2 * i + 1] - p[1]) ** 2;
      return dist < best.dist ? { c, dist } : best;
    }, { c: -1, dist: Infinity }).c;
    const agree = [...r.labels.keys()].filter((i) => nearest(i) === r.labels[i]).length;
    assert.ok(agree >= 0.9 * m, `${method}: ${agree}/${m} images nearest their cluster's centre on the map`);
  }
  for (const method of ['kmeans', 'cmatrix']) {
    const r = await clusterEmbeddings(images, templates, { dim: d, numImages: m, k: 3, method });
    assert.ok(r.embedding2d instanceof Float64Array && r.embedding2d.length === 0, `${method}: no graph, no map`);
  }
});

test('near-duplicates: grouped, clustered once, same labels; duplicateCosine 0 keeps them; a few images get automatic K', async () => {
  const { images, templates, d, m } = toy();
  // Append exact copies of the first 6 images: 6 groups of 2.
  const extra = 6;
  const withCopies = new Float32Array((m + extra) * d);
  withCopies.set(images);
  withCopies.set(images.subarray(0, extra * d), m * d);
  const r = await clusterEmbeddings(withCopies, templates, { dim: d, numImages: m + extra, k: 3 });
  assert.equal(r.labels.length, m + extra);
  assert.ok(r.duplicateGroups.length >= extra, `at least ${extra} groups, got ${r.duplicateGroups.length}`);
  for (let i = 0; i < extra; i++) {
    assert.ok(r.duplicateGroups.some((g) => g.includes(i) && g.includes(m + i)), `image ${i} and its copy are one group`);
    assert.equal(r.labels[i], r.labels[m + i]);
  }
  const kept = await clusterEmbeddings(withCopies, templates, { dim: d, numImages: m + extra, k: 3, duplicateCosine: 0 });
  assert.equal(kept.duplicateGroups.length, 0);
  // Fewer than 10 images: automatic K has a range (2..⌊M/2⌋ here) instead of an error.
  const few = await clusterEmbeddings(images.subarray(0, 8 * d), templates, { dim: d, numImages: 8, k: 'auto' });
  assert.ok(few.k >= 2 && few.k <= 4, `K in 2..4, got ${few.k}`);
});
