// The demo's module Web Worker: decoding, CLIP encoding and clustering off the page's thread.
//
// It is composed of the package's building blocks (decodeImage, preprocessImage, Encoder,
// loadVocabulary, filterNouns, clusterEmbeddings, TEMPLATES from web/src/) and runs the same
// steps as the package's clusterImages() pipeline, but keeps the image embeddings (and the
// encoder, for the texts of nouns a new K may keep) so that "change K" re-clusters with
// clusterEmbeddings() without decoding or encoding a single photo again. clusterImages() does not
// return its embeddings (yet); once it does, the demo can call it directly.
//
// Messages in:
//   {type: 'run', files: File[], model: {base, label}, k: 'auto' | number, executionProviders?}
//   {type: 'recluster', k}
// Messages out:
//   {type: 'progress', stage: 'load'|'decode'|'encode'|'cluster', done, total, detail?}
//   {type: 'model', backend, fallbackReason, dim, fromCache: {file: boolean}}
//   {type: 'result', result}           (result: see resultMessage below)
//   {type: 'error', message, errors?}
// Cancelling = the page terminates this worker.

import { decodeImage, preprocessImage } from '../src/preprocess.js';
import { Encoder } from '../src/encoder.js';
import {
  clusterEmbeddings, filterNouns, loadVocabulary, loadVlcModule, defaultQ, TEMPLATES, MIN_IMAGE_SIDE, TextEmbeddingCache,
} from '../src/cluster.js';
import { autoKmax } from './lib.js';

const ORT_URL = new URL('../../node_modules/onnxruntime-web/dist/ort.min.mjs', import.meta.url).href;
const WASM_URL = new URL('../dist/vlc_wasm.mjs', import.meta.url).href;
const CACHE_NAME = 'vlcluster-demo-models-v1';

/** The six files of a model folder (models/README.md + the vocabulary asset). */
export const MODEL_FILES = ['vision_model.onnx', 'text_model.onnx', 'vocab.json', 'merges.txt', 'nouns.json', 'nouns.f16.bin'];

/** @type {any} */
let state = null;

/** @param {any} msg */
const post = (msg) => self.postMessage(msg);
const progress = (/** @type {string} */ stage, /** @type {number} */ done, /** @type {number} */ total, /** @type {string} */ detail = '') =>
  post({ type: 'progress', stage, done, total, detail });

/** @param {unknown} e */
const message = (e) => (e instanceof Error ? e.message : String(e));

/**
 * One model file, from Cache Storage (keyed by its URL) or fetched once and stored there.
 * @param {string} url
 * @returns {Promise<{bytes: ArrayBuffer, cached: boolean}>}
 */
async function cachedFetch(url) {
  /** @type {Cache | null} */
  let cache = null;
  try {
    cache = typeof caches !== 'undefined' ? await caches.open(CACHE_NAME) : null;
  } catch {
    cache = null; // e.g. an insecure origin: no Cache Storage, fetch every time
  }
  const hit = cache ? await cache.match(url) : undefined;
  if (hit) return { bytes: await hit.arrayBuffer(), cached: true };
  let res;
  try {
    res = await fetch(url, { credentials: 'omit' });
  } catch (e) {
    throw new Error(`cannot fetch ${url}: ${message(e)} (is the URL right, and does the server allow CORS?)`);
  }
  if (!res.ok) throw new Error(`cannot fetch ${url}: HTTP ${res.status} ${res.statusText}`);
  if (cache) await cache.put(url, res.clone()).catch(() => {});
  return { bytes: await res.arrayBuffer(), cached: false };
}

/** @param {string} base folder URL ending in '/' */
async function loadModel(base, /** @type {string[] | undefined} */ executionProviders) {
  const ort = await import(ORT_URL);
  ort.env.wasm.numThreads = 1; // see web/demo/serve.mjs: no cross-origin isolation, one thread
  ort.env.wasm.wasmPaths = new URL('./', ORT_URL).href;
  /** @type {Record<string, ArrayBuffer>} */
  const bytes = {};
  /** @type {Record<string, boolean>} */
  const fromCache = {};
  let done = 0;
  progress('load', 0, MODEL_FILES.length + 1, 'model files');
  await Promise.all(MODEL_FILES.map(async (f) => {
    const r = await cachedFetch(new URL(f, base).href);
    bytes[f] = r.bytes;
    fromCache[f] = r.cached;
    progress('load', ++done, MODEL_FILES.length + 1, 'model files');
  }));
  const [encoder, vocabulary, mod] = await Promise.all([
    Encoder.load({
      vision: bytes['vision_model.onnx'], text: bytes['text_model.onnx'], vocab: bytes['vocab.json'], merges: bytes['merges.txt'],
      ort, numThreads: 1, executionProviders,
    }),
    loadVocabulary({ json: bytes['nouns.json'], bin: bytes['nouns.f16.bin'] }),
    loadVlcModule({ url: WASM_URL }),
  ]);
  if (vocabulary.dim !== encoder.dim) {
    throw new Error(`the vocabulary asset (nouns.json) has dimension ${vocabulary.dim}, the model ${encoder.dim}: it was built for another model`);
  }
  progress('load', MODEL_FILES.length + 1, MODEL_FILES.length + 1, 'model ready');
  return { encoder, vocabulary, mod, fromCache };
}

/** Decodes a File to RGBA pixels; the messages match the package pipeline's. @param {File} file */
async function decodeFile(file) {
  if (file.size === 0) throw new Error('file is empty (0 bytes)');
  if (file.type && !file.type.startsWith('image/')) throw new Error(`not an image (type ${file.type})`);
  let pixels;
  try {
    pixels = await decodeImage(file);
  } catch (e) {
    throw new Error(`cannot decode image: ${message(e)}`);
  }
  if (pixels.width < MIN_IMAGE_SIDE || pixels.height < MIN_IMAGE_SIDE) {
    throw new Error(`image is ${pixels.width}×${pixels.height} pixels; images smaller than ${MIN_IMAGE_SIDE}×${MIN_IMAGE_SIDE} are not clustered`);
  }
  return pixels;
}

/**
 * Text embeddings of the templates × kept nouns, B×L×d, from the in-memory map, IndexedDB, or
 * the text encoder (only what is missing).
 * @param {number[]} kept vocabulary indices
 */
async function templateEmbeddings(kept) {
  const { encoder, vocabulary, textMemo, textCache } = state;
  const d = encoder.dim;
  const texts = [];
  for (const t of TEMPLATES) for (const i of kept) texts.push(t.replace('{}', vocabulary.words[i]));
  const missing = texts.filter((t) => !textMemo.has(t));
  if (missing.length) {
    const stored = await textCache.getMany(missing);
    missing.forEach((t, i) => { if (stored[i]) textMemo.set(t, stored[i]); });
  }
  const toEncode = texts.filter((t) => !textMemo.has(t));
  const have = texts.length - toEncode.length;
  progress('cluster', have, texts.length, 'text prompts of the kept nouns');
  if (toEncode.length) {
    const fresh = await encoder.encodeTexts(toEncode, {
      batchSize: 32,
      onProgress: (/** @type {{done: number}} */ p) => progress('cluster', have + p.done, texts.length, 'text prompts of the kept nouns'),
    });
    const rows = toEncode.map((_, i) => fresh.slice(i * d, (i + 1) * d));
    toEncode.forEach((t, i) => textMemo.set(t, rows[i]));
    await textCache.putMany(toEncode, rows);
  }
  const out = new Float32Array(texts.length * d);
  texts.forEach((t, i) => out.set(textMemo.get(t), i * d));
  return out;
}

/** Filter nouns, encode the kept nouns' prompts, cluster, name. @param {'auto'|number} k */
async function cluster(k) {
  const { images, encoder, vocabulary, m } = state;
  const d = encoder.dim;
  progress('cluster', 0, 1, 'choosing candidate nouns');
  // Automatic K: candidates 2..autoKmax(m) (lib.js: why). The noun filter gets the same kmax, so
  // that it keeps the nouns clusterEmbeddings() keeps.
  const kmax = k === 'auto' ? { kmax: autoKmax(m) } : {};
  const filtered = await filterNouns(images, vocabulary.embeddings, { dim: d, k, ...kmax, q: defaultQ(m), wasmUrl: WASM_URL });
  const kept = Array.from(/** @type {Int32Array} */ (filtered.kept));
  const templates = await templateEmbeddings(kept);
  progress('cluster', 0, 1, `clustering ${m} photos`);
  const t0 = performance.now();
  const r = await clusterEmbeddings(images, templates, {
    dim: d, numImages: m, numTemplates: TEMPLATES.length, k, ...kmax, wasmUrl: WASM_URL,
    names: { nouns: vocabulary.embeddings }, words: vocabulary.words,
  });
  progress('cluster', 1, 1, 'done');
  return { r, kept, seconds: (performance.now() - t0) / 1000 };
}

/** The page's view of a clustering: file indices, not embedding rows. */
function resultMessage(/** @type {any} */ c) {
  const { r } = c;
  const { indices, files, errors, m } = state;
  const labels = new Int32Array(files.length).fill(-1);
  indices.forEach((fileIndex, row) => { labels[fileIndex] = r.labels[row]; });
  const clusters = r.names.map((/** @type {any} */ n) => {
    const words = n.words ?? [];
    const shares = Array.from(/** @type {Float64Array} */ (n.shares));
    return {
      id: n.cluster,
      name: words[0] ?? `cluster ${n.cluster}`,
      share: shares[0] ?? 0,
      runnersUp: words.slice(1).map((/** @type {string} */ w, /** @type {number} */ j) => ({ noun: w, share: shares[j + 1] })),
      members: indices.filter((_, row) => r.labels[row] === n.cluster),
    };
  });
  // Clusters the naming step did not list (should not happen) still get their members.
  for (let c2 = 0; c2 < r.k; c2++) {
    if (!clusters.some((/** @type {any} */ x) => x.id === c2)) {
      const members = indices.filter((_, row) => r.labels[row] === c2);
      if (members.length) clusters.push({ id: c2, name: `cluster ${c2}`, share: 0, runnersUp: [], members });
    }
  }
  return {
    clusters,
    labels,
    errors,
    backend: state.encoder.backend,
    fallbackReason: state.encoder.fallbackReason,
    k: r.k,
    kCurve: r.kCurve,
    keptNouns: c.kept.map((/** @type {number} */ i) => state.vocabulary.words[i]),
    method: r.method,
    components: r.components,
    // The 2-D map: the clustering's spectral coordinates (row j = photo indices[j]); empty for
    // methods without a graph, where the page falls back to a PCA of the embeddings.
    embedding2d: r.embedding2d,
    embeddings: { data: state.images, dim: state.encoder.dim, rows: indices }, // a copy, for that fallback
    imagesEncoded: state.imagesEncoded,
    encodeRuns: state.encodeRuns,
    clusterSeconds: c.seconds,
    m,
  };
}

async function run(/** @type {any} */ msg) {
  const files = /** @type {File[]} */ (msg.files);
  const { encoder, vocabulary, mod, fromCache } = await loadModel(msg.model.base, msg.executionProviders);
  state = {
    encoder, vocabulary, mod, files, textMemo: new Map(), textCache: new TextEmbeddingCache(`demo:${msg.model.base}`),
    imagesEncoded: 0, encodeRuns: 0,
  };
  post({ type: 'model', backend: encoder.backend, fallbackReason: encoder.fallbackReason, dim: encoder.dim, fromCache });

  // decode + preprocess
  /** @type {{file: string, index: number, message: string}[]} */
  const errors = [];
  /** @type {Float32Array[]} */
  const tensors = [];
  /** @type {number[]} */
  const indices = [];
  progress('decode', 0, files.length);
  for (let i = 0; i < files.length; i++) {
    const name = files[i].name || `file #${i}`;
    try {
      tensors.push(preprocessImage(await decodeFile(files[i]), { size: encoder.imageSize }));
      indices.push(i);
    } catch (e) {
      errors.push({ file: name, index: i, message: `${name}: ${message(e)}` });
    }
    progress('decode', i + 1, files.length);
  }
  state.errors = errors;
  state.indices = indices;
  state.m = tensors.length;
  if (tensors.length < 2) {
    post({ type: 'error', message: `only ${tensors.length} of ${files.length} files could be read as images; clustering needs at least 2`, errors });
    return;
  }

  // encode (once)
  progress('encode', 0, tensors.length);
  state.images = await encoder.encodeImages(tensors, {
    batchSize: 8,
    onProgress: (/** @type {{done: number, total: number}} */ p) => progress('encode', p.done, p.total),
  });
  state.imagesEncoded += tensors.length;
  state.encodeRuns += 1;
  tensors.length = 0;

  post({ type: 'result', result: resultMessage(await cluster(msg.k)) });
}

async function recluster(/** @type {any} */ msg) {
  if (!state?.images) throw new Error('nothing to re-cluster: run the photos first');
  post({ type: 'result', result: resultMessage(await cluster(msg.k)) });
}

self.onmessage = async (/** @type {MessageEvent} */ ev) => {
  const msg = ev.data ?? {};
  try {
    if (msg.type === 'run') await run(msg);
    else if (msg.type === 'recluster') await recluster(msg);
  } catch (e) {
    post({ type: 'error', message: message(e), errors: /** @type {any} */ (e)?.errors });
  }
};
