// The demo's module Web Worker: decoding (decode.js), CLIP encoding and clustering off the page's thread.
//
// It is composed of the package's building blocks (decodeImage, preprocessImage, Encoder,
// loadVocabulary, filterNouns, clusterEmbeddings, TEMPLATES from web/src/) and runs the same
// steps as the package's clusterImages() pipeline, but keeps the image embeddings (and the
// encoder, for the texts of nouns a new K may keep) so that "change K" re-clusters with
// clusterEmbeddings() without decoding or encoding a single photo again. clusterImages() does not
// return its embeddings (yet); once it does, the demo can call it directly.
//
// Messages in:
//   {type: 'run', files: File[], model: {source, hubUrl?, dtype?}, k: 'auto' | number, executionProviders?}
//     source: a model folder URL, or a hub id such as Xenova/clip-vit-base-patch32 (with hubUrl)
//   {type: 'recluster', k, restore?}   restore: a reloaded session's embeddings (restoreState)
// Messages out:
//   {type: 'progress', stage: 'load'|'decode'|'encode'|'cluster', done, total, detail?}
//   {type: 'model', backend, fallbackReason, dim, fromCache: {fileUrl: boolean}}
//   {type: 'result', result}           (result: see resultMessage below)
//   {type: 'error', message, errors?}
// Cancelling = the page terminates this worker.

import { preprocessImage } from '../src/preprocess.js';
import { decodeForClip } from './decode.js';
import { Encoder } from '../src/encoder.js';
import {
  clusterEmbeddings, filterNouns, loadVocabulary, loadVlcModule, defaultQ, TEMPLATES, MIN_IMAGE_SIDE, TextEmbeddingCache,
} from '../src/cluster.js';
import { resolveModel, findVocabularyAsset } from '../src/models.js';
import { deviceVocabularyAsset } from '../src/vocabulary.js';

const ORT_URL = new URL('../../node_modules/onnxruntime-web/dist/ort.min.mjs', import.meta.url).href;
const WASM_URL = new URL('../dist/vlc_wasm.mjs', import.meta.url).href;

/** @type {any} */
let state = null;

/** @param {any} msg */
const post = (msg) => self.postMessage(msg);
const progress = (/** @type {string} */ stage, /** @type {number} */ done, /** @type {number} */ total, /** @type {string} */ detail = '') =>
  post({ type: 'progress', stage, done, total, detail });

/** @param {unknown} e */
const message = (e) => (e instanceof Error ? e.message : String(e));

/**
 * The model (a folder URL, or a hub id with its hub's URL; the package's models.js: either folder
 * layout, dtype variants, downloads checked and kept in Cache Storage) and its vocabulary (the
 * folder's nouns.* asset, else built in this browser once and kept in IndexedDB: vocabulary.js).
 * @param {{source: string, hubUrl?: string, dtype?: string}} spec
 * @param {string[] | undefined} executionProviders
 */
async function loadModel(spec, executionProviders) {
  const ort = await import(ORT_URL);
  ort.env.wasm.numThreads = 1; // see web/demo/serve.mjs: no cross-origin isolation, one thread
  ort.env.wasm.wasmPaths = new URL('./', ORT_URL).href;
  /** @type {Record<string, boolean>} file URL -> whether it came from the cache */
  const fromCache = {};
  const source = {
    hubUrl: spec.hubUrl || undefined,
    dtype: spec.dtype || undefined,
    onDownload: (/** @type {{file: string, loaded: number, total: number}} */ p) => {
      // a cache hit reports once, complete; a download starts at 0
      fromCache[p.file] ??= p.loaded > 0 && p.loaded === p.total;
      const name = p.file.split('/').pop();
      if (!fromCache[p.file]) progress('load', p.loaded, Math.max(p.total, p.loaded) + 1, `downloading ${name} (${(p.loaded / 1e6).toFixed(1)} MB)`);
    },
  };
  progress('load', 0, 2, 'model files');
  let model;
  try {
    model = await resolveModel(spec.source, source);
  } catch (e) {
    throw new Error(`${message(e)} (is the URL right, and does the server allow CORS?)`);
  }
  const [encoder, mod] = await Promise.all([
    Encoder.load({
      vision: model.vision, text: model.text, vocab: model.vocab, merges: model.merges, tokenizerJson: model.tokenizerJson,
      ort, numThreads: 1, executionProviders,
    }),
    loadVlcModule({ url: WASM_URL }),
  ]);
  const asset = await deviceVocabularyAsset(encoder, model.id, {
    prebuilt: () => findVocabularyAsset(spec.source, source),
    onProgress: (p) => progress('load', p.done, p.total + 1, 'building the noun vocabulary (once per model)'),
  });
  const vocabulary = await loadVocabulary(asset);
  if (vocabulary.dim !== encoder.dim) {
    throw new Error(`the vocabulary asset (nouns.json) has dimension ${vocabulary.dim}, the model ${encoder.dim}: it was built for another model`);
  }
  progress('load', 1, 1, 'model ready');
  return { encoder, vocabulary, mod, fromCache, id: model.id };
}

/** Decodes a File to RGBA pixels; the messages match the package pipeline's. @param {File} file */
async function decodeFile(file) {
  if (file.size === 0) throw new Error('file is empty (0 bytes)');
  if (file.type && !file.type.startsWith('image/')) throw new Error(`not an image (type ${file.type})`);
  let pixels;
  try {
    // downscaled by the browser's decoder first (decode.js: why, and the tolerance)
    pixels = await decodeForClip(file);
  } catch (e) {
    throw new Error(`cannot decode image: ${message(e)}`);
  }
  if (pixels.width < MIN_IMAGE_SIDE || pixels.height < MIN_IMAGE_SIDE) {
    throw new Error(`image is ${pixels.width}×${pixels.height} pixels; images smaller than ${MIN_IMAGE_SIDE}×${MIN_IMAGE_SIDE} are not clustered`);
  }
  return pixels;
}

/** Photos encoded together (the encoder's batch), also how many preprocessed tensors are held. */
const ENCODE_BATCH = 8;

/** @param {Float32Array[]} parts @param {number} length */
function concatRows(parts, length) {
  const out = new Float32Array(length);
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

/**
 * A promise that always fulfils, with the value or the error.
 * @template T @param {Promise<T>} p @returns {Promise<{value: T} | {error: unknown}>}
 */
const settle = (p) => p.then((value) => ({ value }), (error) => ({ error }));

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
  // Automatic K: the core's candidate range (default_kmax, as in the CLI and the package), no kmax
  // of the demo's own; the noun filter and clusterEmbeddings() then keep the same nouns.
  const filtered = await filterNouns(images, vocabulary.embeddings, { dim: d, k, q: defaultQ(m), wasmUrl: WASM_URL });
  const kept = Array.from(/** @type {Int32Array} */ (filtered.kept));
  const templates = await templateEmbeddings(kept);
  progress('cluster', 0, 1, `clustering ${m} photos`);
  const t0 = performance.now();
  const r = await clusterEmbeddings(images, templates, {
    dim: d, numImages: m, numTemplates: TEMPLATES.length, k, wasmUrl: WASM_URL,
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
    // Near-duplicate photos (the core clusters each group once), as file indices.
    duplicateGroups: Array.from(/** @type {Int32Array[]} */ (r.duplicateGroups ?? []), (g) => Array.from(g, (row) => indices[row])),
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
  const { encoder, vocabulary, mod, fromCache, id } = await loadModel(msg.model, msg.executionProviders);
  state = {
    encoder, vocabulary, mod, files, textMemo: new Map(), textCache: new TextEmbeddingCache(`demo:${id}`),
    imagesEncoded: 0, encodeRuns: 0,
  };
  post({ type: 'model', backend: encoder.backend, fallbackReason: encoder.fallbackReason, dim: encoder.dim, fromCache });

  // decode + preprocess, and encode as the photos come (ENCODE_BATCH at a time): holding every
  // photo's 224×224 tensor (600 kB each) until all are decoded took 300 MB for 500 photos.
  /** @type {{file: string, index: number, message: string}[]} */
  const errors = [];
  /** @type {Float32Array[]} tensors decoded, not yet encoded */
  let batch = [];
  /** @type {Float32Array[]} embeddings, ENCODE_BATCH rows each */
  const encoded = [];
  /** @type {number[]} */
  const indices = [];
  progress('decode', 0, files.length);
  progress('encode', 0, files.length);
  const encodeBatch = async () => {
    encoded.push(await encoder.encodeImages(batch, { batchSize: ENCODE_BATCH }));
    batch = [];
    // the total is what can still be encoded: the files minus those that could not be read
    progress('encode', indices.length, files.length - errors.length);
  };
  // The browser decodes on its own threads: the next DECODE_AHEAD photos are decoding while this
  // one is resampled in JS, so both cores work. (Settled promises: a failure is reported in order.)
  const DECODE_AHEAD = 2;
  const pending = files.slice(0, DECODE_AHEAD).map((f) => settle(decodeFile(f)));
  for (let i = 0; i < files.length; i++) {
    const name = files[i].name || `file #${i}`;
    const decoded = await pending[i];
    if (i + DECODE_AHEAD < files.length) pending.push(settle(decodeFile(files[i + DECODE_AHEAD])));
    delete pending[i]; // let the pixels go
    try {
      if ('error' in decoded) throw decoded.error;
      batch.push(preprocessImage(decoded.value, { size: encoder.imageSize }));
      indices.push(i);
    } catch (e) {
      errors.push({ file: name, index: i, message: `${name}: ${message(e)}` });
    }
    progress('decode', i + 1, files.length);
    if (batch.length === ENCODE_BATCH) await encodeBatch();
  }
  state.errors = errors;
  state.indices = indices;
  state.m = indices.length;
  if (indices.length < 2) {
    post({ type: 'error', message: `only ${indices.length} of ${files.length} files could be read as images; clustering needs at least 2`, errors });
    return;
  }
  if (batch.length) await encodeBatch();
  state.images = concatRows(encoded, indices.length * encoder.dim);
  state.imagesEncoded += indices.length;
  state.encodeRuns += 1;

  post({ type: 'result', result: resultMessage(await cluster(msg.k)) });
}

/**
 * A session restored by the page after a reload (session.js): its embeddings, without the photos.
 * @param {{model: any, executionProviders?: string[], images: Float32Array, indices: number[], errors: any[], fileCount: number, imagesEncoded?: number, encodeRuns?: number}} s
 */
async function restoreState(s) {
  const { encoder, vocabulary, mod, id } = await loadModel(s.model, s.executionProviders);
  if (s.images.length !== s.indices.length * encoder.dim) throw new Error('the saved embeddings are of another model: group the photos again');
  state = {
    encoder, vocabulary, mod, files: { length: s.fileCount }, textMemo: new Map(), textCache: new TextEmbeddingCache(`demo:${id}`),
    // the counts of the page that encoded them: still "encoded once"
    imagesEncoded: s.imagesEncoded ?? 0, encodeRuns: s.encodeRuns ?? 0, images: s.images, indices: s.indices, errors: s.errors, m: s.indices.length,
  };
}

async function recluster(/** @type {any} */ msg) {
  if (!state?.images && msg.restore) await restoreState(msg.restore);
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
