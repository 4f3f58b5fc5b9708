// clusterEmbeddings on bad or unusual input (issue 14): cancelling through an AbortSignal or a
// throwing onProgress frees the core's memory (a JS exception thrown through the WASM frames used
// to leak ≈ 2 MB per call), `templates: null` for the text-free methods, every stated shape checked
// against the array lengths, unknown option keys rejected with the closest valid one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clusterEmbeddings, filterNouns, loadVlcModule } from '../src/cluster.js';
import { clusterImages, runPipeline } from '../src/photo_session.js';
import { tinyModel, toy } from '../testing/data.mjs';

/** A Float32Array whose buffer has been transferred away. */
function detached(n) {
  const a = new Float32Array(n);
  structuredClone(a.buffer, { transfer: [a.buffer] });
  return a;
}

test('300 calls cancelled from the core\'s progress reports keep the WASM heap flat', { timeout: 300000 }, async () => {
  const { images, templates, m, d } = toy(400, 64, 50, 7);
  const mod = await loadVlcModule();
  const options = { dim: d, numImages: m, k: 5 };
  await clusterEmbeddings(images, templates, options);  // first-use allocations are not a leak
  const before = mod.heapInUse();
  const memoryBefore = mod.HEAPU8.length;
  for (let i = 0; i < 300; i++) {
    // Half by the signal, half by onProgress throwing; both once the graph stage starts, when the
    // run holds the normalised images, the templates and the noun filter's results.
    const ac = new AbortController();
    const boom = new Error(`stop ${i}`);
    const byThrow = i % 2 === 1;
    const onProgress = (/** @type {string} */ stage) => {
      if (stage !== 'graph') return;
      if (byThrow) throw boom;
      ac.abort();
    };
    await assert.rejects(clusterEmbeddings(images, templates, { ...options, signal: ac.signal, onProgress }), (e) => {
      if (byThrow) assert.equal(e, boom, 'the error onProgress threw');
      else {
        assert.ok(e instanceof DOMException, 'an AbortError DOMException');
        assert.equal(e.name, 'AbortError');
      }
      return true;
    });
  }
  const after = mod.heapInUse();
  // Tolerance 64 KB for allocator bookkeeping; the old code leaked ≈ 2 MB per call (600 MB here).
  assert.ok(after - before < 64 * 1024, `heap in use grew by ${after - before} bytes over 300 cancelled calls`);
  assert.equal(mod.HEAPU8.length, memoryBefore, 'the WASM memory did not grow');
  // And the module still clusters.
  const r = await clusterEmbeddings(images, templates, options);
  assert.equal(r.labels.length, m);
});

test('an already aborted signal rejects before the core runs; the reason given to abort() is kept', async () => {
  const { images, templates, m, d } = toy();
  const ac = new AbortController();
  ac.abort();
  let calls = 0;
  await assert.rejects(clusterEmbeddings(images, templates, { dim: d, numImages: m, k: 3, signal: ac.signal, onProgress: () => { calls++; } }),
    (e) => e instanceof DOMException && e.name === 'AbortError');
  assert.equal(calls, 0);
  const ac2 = new AbortController();
  const reason = new Error('user pressed stop');
  await assert.rejects(clusterEmbeddings(images, templates, {
    dim: d, numImages: m, k: 3, signal: ac2.signal, onProgress: (stage) => { if (stage === 'filter') ac2.abort(reason); },
  }), (e) => e === reason);
});

test('onProgress and signal of the wrong type are TypeErrors', async () => {
  const { images, templates, m, d } = toy();
  await assert.rejects(clusterEmbeddings(images, templates, { dim: d, numImages: m, onProgress: 5 }),
    (e) => e instanceof TypeError && /options\.onProgress must be a function, got number 5/.test(e.message));
  await assert.rejects(clusterEmbeddings(images, templates, { dim: d, numImages: m, signal: true }),
    (e) => e instanceof TypeError && /options\.signal must be an AbortSignal/.test(e.message));
  await assert.rejects(clusterImages([], { model: '/m/', onProgress: 'x' }), /clusterImages: options\.onProgress must be a function/);
});

test('templates: null works for kmeans, cosine and rbf, and is a clear error for the NTK methods', async () => {
  const { images, templates, m, d } = toy();
  const truth = Array.from({ length: m }, (_, i) => i % 3);
  for (const method of ['kmeans', 'cosine', 'rbf']) {
    const r = await clusterEmbeddings(images, null, { dim: d, numImages: m, k: 3, method });
    const withTemplates = await clusterEmbeddings(images, templates, { dim: d, numImages: m, k: 3, method });
    assert.deepEqual(Array.from(r.labels), Array.from(withTemplates.labels), `${method}: the templates change nothing`);
    assert.equal(new Set(truth.map((t, i) => `${t},${r.labels[i]}`)).size, 3, `${method}: the 3 groups`);
    assert.equal(r.keptNouns.length, 0);
  }
  await assert.rejects(clusterEmbeddings(images, null, { dim: d, numImages: m, k: 3 }),
    /templates is null; only the text-free methods \(kmeans, cosine, rbf\) take no noun embeddings, method 'ntk-rad' needs B×L×d/);
});

test('every stated shape is checked against the lengths', async () => {
  const { images, templates, m, d, l, b } = toy(60, 32, 10, 7);
  const flat = Float32Array.from(templates.flatMap((t) => Array.from(t)));
  // A wrong dim that divides the length used to give 120 labels for 60 images.
  await assert.rejects(clusterEmbeddings(images, templates, { dim: 16, numImages: m }),
    /images has 1920 values; expected numImages × dim = 60 × 16 = 960/);
  await assert.rejects(clusterEmbeddings(images, templates, { dim: d }),
    /images is one flat Float32Array of 1920 values: give options\.numImages \(M\) and options\.dim \(d\)/);
  const rows = Array.from({ length: m }, (_, i) => images.subarray(i * d, (i + 1) * d));
  await assert.rejects(clusterEmbeddings(rows, templates, { dim: 16 }), /options\.dim = 16, but the image rows have 32 values/);
  await assert.rejects(clusterEmbeddings(rows, templates, { numImages: 61 }), /options\.numImages = 61, but images has 60 rows/);
  // Flat templates: B×L×d without numTemplates used to be read as B = 1.
  await assert.rejects(clusterEmbeddings(images, flat, { dim: d, numImages: m }),
    /templates is one flat Float32Array of 2240 values: give options\.numTemplates \(B\) or options\.numNouns \(L\)/);
  await assert.rejects(clusterEmbeddings(images, flat, { dim: d, numImages: m, numTemplates: 3 }), /templates has 2240 values, not B × L × d with B = 3, d = 32/);
  await assert.rejects(clusterEmbeddings(images, flat, { dim: d, numImages: m, numTemplates: 7, numNouns: 5 }), /not B × L × d with B = 7, L = 5/);
  await assert.rejects(clusterEmbeddings(images, templates, { dim: d, numImages: m, numTemplates: 6 }), /numTemplates = 6, but templates has 7 arrays/);
  await assert.rejects(clusterEmbeddings(images, templates, { dim: d, numImages: m, numNouns: 20 }), /expected numNouns × d = 20 × 32 = 640/);
  await assert.rejects(clusterEmbeddings(images, templates, { dim: d, numImages: m, nameClusters: true, words: ['a', 'b'] }), /options\.words has 2 words for 10 vocabulary nouns/);
  await assert.rejects(clusterEmbeddings(images, templates, { dim: d, numImages: 0 }), /options\.numImages must be a positive integer, got number 0/);
  // The same data stated right: by numTemplates, by numNouns, or as arrays.
  const byB = await clusterEmbeddings(images, flat, { dim: d, numImages: m, numTemplates: b, k: 3 });
  const byL = await clusterEmbeddings(images, flat, { dim: d, numImages: m, numNouns: l, k: 3 });
  const byArrays = await clusterEmbeddings(rows, templates, { numImages: m, dim: d, numTemplates: b, numNouns: l, k: 3 });
  assert.equal(byB.labels.length, 60);
  assert.equal(byB.beta.length, b);
  assert.deepEqual(Array.from(byL.labels), Array.from(byB.labels));
  assert.deepEqual(Array.from(byArrays.labels), Array.from(byB.labels));
  await assert.rejects(filterNouns(images, flat.subarray(1), { dim: d }), /filterNouns: nouns must be a Float32Array of rows of dim = 32 values/);
});

test('a detached ArrayBuffer is reported as detached, not as 0 rows', async () => {
  const { images, templates, m, d } = toy();
  await assert.rejects(clusterEmbeddings(detached(m * d), templates, { dim: d, numImages: m }),
    (e) => e instanceof TypeError && /clusterEmbeddings: images is a Float32Array over a detached ArrayBuffer \(it was transferred/.test(e.message));
  await assert.rejects(clusterEmbeddings(images, [templates[0], detached(20 * d)], { dim: d, numImages: m }), /template 1 is a Float32Array over a detached ArrayBuffer/);
});

test('unknown option keys are rejected with the closest valid key and the list of valid ones', async () => {
  const { images, templates, m, d } = toy();
  const cases = [['K', 'k'], ['numClusters', 'k'], ['tua', 'tau'], ['numTemplate', 'numTemplates'], ['onprogress', 'onProgress']];
  for (const [key, hint] of cases) {
    await assert.rejects(clusterEmbeddings(images, templates, { dim: d, numImages: m, [key]: 3 }), (e) => {
      assert.ok(e instanceof TypeError);
      assert.match(e.message, new RegExp(`^clusterEmbeddings: unknown option "${key}" \\(did you mean "${hint}"\\?\\); valid options: `));
      assert.match(e.message, /\bdim, duplicateCosine, filterRestarts\b.*\bnumImages\b.*\bsignal\b/);
      return true;
    });
  }
  await assert.rejects(clusterEmbeddings(images, templates, { dim: d, numImages: m, zzzzzzzz: 1 }), /unknown option "zzzzzzzz"; valid options/);
  await assert.rejects(clusterImages([], { model: '/m/', tua: 1 }), /^TypeError: clusterImages: unknown option "tua" \(did you mean "tau"\?\)/);
  await assert.rejects(filterNouns(images, templates[0], { dim: d, numClusters: 3 }), /filterNouns: unknown option "numClusters" \(did you mean "k"\?\)/);
});

test('seed: the valid range is named; 2^53 − 1 is accepted', async () => {
  const { images, templates, m, d } = toy();
  await assert.rejects(clusterEmbeddings(images, templates, { dim: d, numImages: m, k: 3, seed: 2 ** 53 }),
    /option seed = 9007199254740992 is outside 0\.\.9007199254740991 \(0\.\.2\^53 − 1, Number\.MAX_SAFE_INTEGER\)/);
  await assert.rejects(clusterEmbeddings(images, templates, { dim: d, numImages: m, k: 3, seed: -1 }), /option seed = -1 is outside 0\.\.9007199254740991/);
  await assert.rejects(clusterEmbeddings(images, templates, { dim: d, numImages: m, k: 3, seed: 1.5 }), /option seed = 1\.5 must be an integer/);
  const r = await clusterEmbeddings(images, templates, { dim: d, numImages: m, k: 3, seed: 2 ** 53 - 1 });
  assert.equal(r.k, 3);
});

test('runPipeline (in-thread clusterImages): aborting or throwing during the core\'s stages stops the core and rejects with the reason', { timeout: 120000 }, async () => {
  const model = tinyModel('tiny-clip-cancel-test');
  const files = Array.from({ length: 9 }, (_, i) => {
    const data = new Uint8ClampedArray(16 * 16 * 4);
    for (let p = 0; p < 16 * 16; p++) data.set([i % 3 === 0 ? 220 : 30, i % 3 === 1 ? 200 : 30, i % 3 === 2 ? 220 : 30, 255], 4 * p);
    return { name: `img${i}.png`, data, width: 16, height: 16 };
  });
  const ort = await import('onnxruntime-web');
  const options = { model, ort, numThreads: 1, executionProviders: ['wasm'], k: 3, cache: false, worker: false };
  const ac = new AbortController();
  const seen = [];
  await assert.rejects(runPipeline(files, { ...options, signal: ac.signal, onProgress: (p) => { seen.push(p.stage); if (p.stage === 'cluster:graph') ac.abort(); } }),
    (e) => e instanceof DOMException && e.name === 'AbortError');
  assert.ok(seen.includes('cluster:filter') && !seen.includes('cluster:spectral') && !seen.includes('name'), `stopped in the core: ${seen}`);
  const boom = new Error('onProgress failed');
  await assert.rejects(runPipeline(files, { ...options, onProgress: (p) => { if (p.stage === 'cluster:rad') throw boom; } }), (e) => e === boom);
  const r = await runPipeline(files, options);
  assert.equal(r.labels.length, 9, 'and the pipeline still runs');
});
