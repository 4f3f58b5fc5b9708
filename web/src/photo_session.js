// The photo pipeline as a session:
//   decode -> CLIP image encoding -> §1 noun filtering on the precomputed vocabulary asset
//   -> CLIP text encoding of the kept nouns under the templates -> clustering -> names.
// A PhotoSession keeps what each step produced — the image embeddings and the text embeddings
// here, the normalised images and every stage's output in the core's vlc::Session — so that
// clustering again with another K or method decodes and encodes nothing again, and the images
// cross into WebAssembly once per photo set. runPipeline() is one session's single pass;
// clusterImages() runs that pass in a module Web Worker (web/src/worker.js); the demo's worker
// (web/demo/engine.js) keeps one session per photo set.

import { decodeImage, preprocessImage } from './preprocess.js';
import { Encoder, runtimeImport } from './encoder.js';
import { TEMPLATES, loadVocabulary, deviceVocabularyAsset } from './vocabulary.js';
import { findVocabularyAsset, isHubId, resolveModel } from './models.js';
import {
  CORE_KEYS, MIN_IMAGE_SIDE, TextEmbeddingCache, abortError, checkDepths, coreOptions, coreProgress, defaultQ, kCurve,
  loadVlcModule, message,
} from './cluster.js';
import { checkFunction, checkOptionKeys, checkSignal } from './options.js';

/** Options of PhotoSession.open: where the model, the vocabulary and the runtimes come from. */
const OPEN_KEYS = Object.freeze(['model', 'vocabulary', 'wasmUrl', 'ortUrl', 'ort', 'wasmPaths', 'executionProviders', 'numThreads',
  'textBatchSize', 'templates', 'cache', 'hubUrl', 'dtype', 'revision', 'cacheDir', 'nounList', 'nounSelection', 'onProgress', 'signal']);

/** Options of PhotoSession.addFiles. */
const ADD_KEYS = Object.freeze(['minImageSide', 'batchSize', 'decode', 'decodeAhead', 'onProgress', 'signal']);

/** Options of PhotoSession.cluster: the core's, and the per-run callbacks. */
const CLUSTER_KEYS = Object.freeze([...CORE_KEYS.filter((k) => k !== 'depths'), 'onProgress', 'signal']);

/** Every option clusterImages / runPipeline take (index.d.ts ClusterImagesOptions): all three. */
export const PIPELINE_KEYS = Object.freeze([...new Set([...OPEN_KEYS, ...ADD_KEYS.filter((k) => k !== 'decode' && k !== 'decodeAhead'),
  ...CLUSTER_KEYS, 'worker', 'workerUrl'])]);

/** Photos decoded ahead of the one being preprocessed: the browser decodes on its own threads. */
const DECODE_AHEAD = 2;

/** @param {AbortSignal | undefined} signal @param {string} what */
function checkAbort(signal, what) {
  if (signal?.aborted) throw abortError(signal, what);
}

/** A file's display name. @param {any} file @param {number} index */
function fileName(file, index) {
  return (file && typeof file.name === 'string' && file.name) || `file #${index}`;
}

/** The subset of `options` whose keys are in `keys`. @param {Record<string, any>} options @param {readonly string[]} keys */
function pick(options, keys) {
  /** @type {Record<string, any>} */
  const out = {};
  for (const k of keys) if (options[k] !== undefined) out[k] = options[k];
  return out;
}

/**
 * A promise that always fulfils, with the value or the error (decoding ahead must not leave an
 * unhandled rejection while an earlier photo is still being worked on).
 * @template T @param {Promise<T>} p @returns {Promise<{value: T} | {error: unknown}>}
 */
const settle = (p) => p.then((value) => ({ value }), (error) => ({ error }));

/**
 * The model's file URLs: a folder (string or URL ending in '/') with the standard names, or an
 * object naming each file.
 * @param {any} model
 */
export function modelFiles(model) {
  if (model == null) throw new Error('clusterImages: options.model is required (a folder URL such as "models/clip-vit-b32/", or {vision, text, vocab, merges, nouns, nounsJson})');
  if (typeof model === 'string' || model instanceof URL) {
    let base = String(model);
    if (!base.endsWith('/')) base += '/';
    return {
      vision: `${base}vision_model.onnx`,
      text: `${base}text_model.onnx`,
      vocab: `${base}vocab.json`,
      merges: `${base}merges.txt`,
      vocabulary: { json: `${base}nouns.json`, bin: `${base}nouns.f16.bin` },
      id: base,
    };
  }
  return {
    vision: model.vision,
    text: model.text,
    vocab: model.vocab,
    merges: model.merges,
    vocabulary: model.vocabulary ?? { json: model.nounsJson, bin: model.nouns },
    id: model.id ?? String(model.vision),
  };
}

/**
 * The encoder and the vocabulary of `options.model`: an object naming each file is loaded as it
 * is; a folder URL, local folder or hub id goes through models.js (download, cache, variants), and
 * when that folder ships no vocabulary asset it is built on this device (vocabulary.js).
 * @param {Record<string, any>} options PhotoSession.open's
 * @param {(p: {stage: string, done: number, total: number, file?: string}) => void} onProgress
 * @returns {Promise<{encoder: Encoder, vocabulary: Awaited<ReturnType<typeof loadVocabulary>>, id: string}>}
 */
async function loadModelAndVocabulary(options, onProgress) {
  let ort = options.ort;
  if (!ort && options.ortUrl) ort = await runtimeImport(String(options.ortUrl));
  if (ort && options.wasmPaths && ort.env?.wasm) ort.env.wasm.wasmPaths = options.wasmPaths;
  const runtime = { ort, executionProviders: options.executionProviders, numThreads: options.numThreads };
  const model = options.model;
  if (model != null && typeof model === 'object' && !(model instanceof URL)) {
    const mf = modelFiles(model);
    const [encoder, vocabulary] = await Promise.all([
      Encoder.load({ vision: mf.vision, text: mf.text, vocab: mf.vocab, merges: mf.merges, ...runtime }),
      loadVocabulary(options.vocabulary ?? mf.vocabulary),
    ]);
    return { encoder, vocabulary, id: mf.id };
  }
  if (model == null) modelFiles(model);  // its error names the forms `model` takes
  const source = {
    hubUrl: options.hubUrl, dtype: options.dtype, revision: options.revision, cache: options.cache, cacheDir: options.cacheDir,
    signal: options.signal,
    // done ≤ total always: without a Content-Length, total is the bytes so far.
    onDownload: (/** @type {{file: string, loaded: number, total: number}} */ p) => onProgress({ stage: 'download', done: p.loaded, total: Math.max(p.total, p.loaded), file: p.file }),
  };
  const resolved = await resolveModel(model, source);
  const encoder = await Encoder.load({
    vision: resolved.vision, text: resolved.text, vocab: resolved.vocab, merges: resolved.merges, tokenizerJson: resolved.tokenizerJson, ...runtime,
  });
  try {
    const asset = options.vocabulary ?? (await deviceVocabularyAsset(encoder, resolved.id, {
      prebuilt: () => findVocabularyAsset(model, source),
      nounList: options.nounList, nounSelection: options.nounSelection, cache: options.cache, cacheDir: options.cacheDir,
      signal: options.signal, onProgress, batchSize: options.textBatchSize ?? 256,
    }));
    return { encoder, vocabulary: await loadVocabulary(asset), id: resolved.id };
  } catch (e) {
    await encoder.dispose().catch(() => {});
    throw e;
  }
}

/**
 * One file's pixels: pixel objects as they are; a Blob checked (empty, not an image type) and
 * decoded by `decodeBlob` (default the package's decodeImage), its failure reported as such.
 * @param {any} file @param {(blob: Blob) => Promise<any>} decodeBlob
 */
async function decodeFile(file, decodeBlob) {
  if (file && typeof file === 'object' && 'data' in file && 'width' in file && 'height' in file) return file;
  if (!file || typeof file.arrayBuffer !== 'function') throw new Error('not a File/Blob or pixel data');
  if (file.size === 0) throw new Error('file is empty (0 bytes)');
  if (file.type && !file.type.startsWith('image/')) throw new Error(`not an image (type ${file.type})`);
  try {
    return await decodeBlob(file);
  } catch (e) {
    throw new Error(`cannot decode image: ${message(e)}`);
  }
}

/** @param {Float32Array[]} parts @param {number} length */
function concatRows(parts, length) {
  const out = new Float32Array(length);
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

/** The page's view of a clustering: clusters of file indices, labels per file. */
function shapeResult(/** @type {any} */ r, /** @type {any[]} */ names, /** @type {number[]} */ indices, /** @type {number} */ fileCount, /** @type {string[]} */ words) {
  const labels = new Int32Array(fileCount).fill(-1);
  indices.forEach((fileIndex, row) => { labels[fileIndex] = r.labels[row]; });
  // Map coordinates per file, like labels: NaN for the files in errors; empty without a graph.
  const embedding2d = new Float64Array(r.embedding2d.length ? 2 * fileCount : 0).fill(NaN);
  if (embedding2d.length) indices.forEach((fileIndex, row) => embedding2d.set(r.embedding2d.subarray(2 * row, 2 * row + 2), 2 * fileIndex));
  const members = (/** @type {number} */ c) => indices.filter((_, row) => r.labels[row] === c);
  const clusters = names.map((/** @type {any} */ n) => {
    const nouns = Array.from(/** @type {Int32Array} */ (n.nouns));
    const shares = Array.from(/** @type {Float64Array} */ (n.shares));
    return {
      id: n.cluster,
      name: nouns.length ? words[nouns[0]] : '',
      share: shares.length ? shares[0] : 0,
      runnersUp: nouns.slice(1).map((w, j) => ({ noun: words[w], share: shares[j + 1] })),
      members: members(n.cluster),
    };
  });
  // Without names (nameClusters: false) every cluster is still listed, with its members.
  for (let c = 0; c < r.k; c++) {
    if (!clusters.some((x) => x.id === c)) clusters.push({ id: c, name: '', share: 0, runnersUp: [], members: members(c) });
  }
  return { clusters, labels, embedding2d };
}

export class PhotoSession {
  /**
   * Loads the model, its vocabulary and the clustering core.
   * @param {Record<string, any>} options model, vocabulary, runtimes (index.d.ts PhotoSessionOptions)
   */
  static async open(options = {}) {
    checkOptionKeys(options, OPEN_KEYS, 'PhotoSession.open');
    checkFunction(options.onProgress, 'PhotoSession.open: options.onProgress');
    checkSignal(options.signal, 'PhotoSession.open: options.signal');
    checkAbort(options.signal, 'PhotoSession.open');
    const onProgress = options.onProgress ?? (() => {});
    onProgress({ stage: 'load', done: 0, total: 1 });
    const [{ encoder, vocabulary, id }, mod] = await Promise.all([
      loadModelAndVocabulary(options, onProgress),
      loadVlcModule({ url: options.wasmUrl }),
    ]);
    if (vocabulary.dim !== encoder.dim) {
      await encoder.dispose().catch(() => {});
      throw new Error(`vocabulary embeddings have dimension ${vocabulary.dim}, the model's embeddings ${encoder.dim}: the vocabulary asset was built for another model`);
    }
    onProgress({ stage: 'load', done: 1, total: 1 });
    return new PhotoSession({ encoder, vocabulary, mod, id, options });
  }

  /** @private @param {{encoder: Encoder, vocabulary: any, mod: any, id: string, options: Record<string, any>}} parts */
  constructor({ encoder, vocabulary, mod, id, options }) {
    this.encoder = encoder;
    this.vocabulary = vocabulary;
    this.modelId = id;
    /** @private */ this.mod = mod;
    /** @private */ this.templates = options.templates ?? TEMPLATES;
    /** @private */ this.textBatchSize = options.textBatchSize ?? 32;
    /** @private */ this.useCache = options.cache !== false;
    /** @private */ this.textCache = new TextEmbeddingCache(id);
    /** @private @type {Map<string, Float32Array>} text → embedding, this session's */
    this.textMemo = new Map();
    /** @private @type {Float32Array[]} embeddings of the photos added, in rows */
    this.parts = [];
    /** @private @type {Float32Array | null} */
    this.images = null;
    /** Embedding row → file index (files are numbered over every addFiles call). @type {number[]} */
    this.indices = [];
    /** Files that could not be clustered. @type {{file: string, index: number, message: string}[]} */
    this.errors = [];
    /** Files given so far. */
    this.fileCount = 0;
    /** Photos run through the image encoder by this session. */
    this.imagesEncoded = 0;
    /** @private @type {any} the core's vlc::Session, made at the first cluster() after photos change */
    this.core = null;
  }

  /** The encoder's execution provider ('webgpu', 'wasm', …) and why the preferred one was not used. */
  get backend() { return this.encoder.backend; }
  get fallbackReason() { return this.encoder.fallbackReason; }
  get dim() { return this.encoder.dim; }
  /** Photos that will be clustered (files added minus errors). */
  get count() { return this.indices.length; }

  /**
   * Decodes, preprocesses and encodes photos, encoding in batches as they are decoded (holding
   * every 224×224 tensor, 600 kB each, until all are decoded took 300 MB for 500 photos). Files
   * that cannot be read become `errors` entries; the others are appended to the session.
   * @param {ArrayLike<any>} files FileList, File[], Blob[] or pixel objects {data, width, height}
   * @param {{minImageSide?: number, batchSize?: number, decode?: (blob: Blob) => Promise<any>, decodeAhead?: number,
   *   onProgress?: (p: {stage: string, done: number, total: number}) => void, signal?: AbortSignal}} [options]
   */
  async addFiles(files, options = {}) {
    checkOptionKeys(options, ADD_KEYS, 'PhotoSession.addFiles');
    checkFunction(options.onProgress, 'PhotoSession.addFiles: options.onProgress');
    checkFunction(options.decode, 'PhotoSession.addFiles: options.decode');
    checkSignal(options.signal, 'PhotoSession.addFiles: options.signal');
    const { signal } = options;
    const onProgress = options.onProgress ?? (() => {});
    const minSide = options.minImageSide ?? MIN_IMAGE_SIDE;
    const batchSize = options.batchSize ?? 8;
    const decodeAhead = Math.max(1, options.decodeAhead ?? DECODE_AHEAD);
    const decodeBlob = options.decode ?? decodeImage;
    const list = Array.from(files);
    const base = this.fileCount;
    const errorsBefore = this.errors.length;
    const added = [];
    /** @type {Float32Array[]} */
    let batch = [];
    const encodeBatch = async () => {
      checkAbort(signal, 'clusterImages');
      this.parts.push(await this.encoder.encodeImages(batch, { batchSize }));
      this.imagesEncoded += batch.length;
      batch = [];
      onProgress({ stage: 'encode-images', done: added.length, total: list.length - (this.errors.length - errorsBefore) });
    };
    checkAbort(signal, 'clusterImages');
    const read = async (/** @type {any} */ file) => {
      const pixels = await decodeFile(file, decodeBlob);
      if (pixels.width < minSide || pixels.height < minSide) {
        throw new Error(`image is ${pixels.width}×${pixels.height} pixels; images smaller than ${minSide}×${minSide} are not clustered`);
      }
      return pixels;
    };
    const pending = list.slice(0, decodeAhead).map((f) => settle(read(f)));
    for (let i = 0; i < list.length; i++) {
      checkAbort(signal, 'clusterImages');
      const name = fileName(list[i], base + i);
      const decoded = await pending[i];
      if (i + decodeAhead < list.length) pending.push(settle(read(list[i + decodeAhead])));
      delete pending[i];  // let the pixels go
      try {
        if ('error' in decoded) throw decoded.error;
        batch.push(preprocessImage(decoded.value, { size: this.encoder.imageSize }));
        added.push(base + i);
      } catch (e) {
        this.errors.push({ file: name, index: base + i, message: `${name}: ${message(e)}` });
      }
      onProgress({ stage: 'decode', done: i + 1, total: list.length });
      if (batch.length === batchSize) await encodeBatch();
    }
    if (batch.length) await encodeBatch();
    this.fileCount += list.length;
    this.indices.push(...added);
    if (added.length) this.dropCore();
    return { added: added.length, errors: this.errors.slice(errorsBefore) };
  }

  /**
   * Photos encoded earlier (e.g. saved by a page and restored after a reload), instead of
   * addFiles: the embeddings (rows × dim), the file index of each row, the errors, the file count.
   * @param {{images: Float32Array, indices: number[], errors?: any[], fileCount: number, imagesEncoded?: number}} saved
   */
  restore(saved) {
    const d = this.encoder.dim;
    if (!(saved.images instanceof Float32Array) || saved.images.length !== saved.indices.length * d) {
      throw new Error(`PhotoSession.restore: ${saved.images?.length} embedding values for ${saved.indices.length} photos of dimension ${d}: they are of another model; encode the photos again`);
    }
    this.parts = [saved.images];
    this.images = null;
    this.indices = [...saved.indices];
    this.errors = [...(saved.errors ?? [])];
    this.fileCount = saved.fileCount;
    this.imagesEncoded = saved.imagesEncoded ?? 0;
    this.dropCore();
  }

  /** The image embeddings (row j = file rows[j]), L2-normalised by the encoder. */
  embeddings() {
    return { data: this.imageMatrix(), dim: this.encoder.dim, rows: this.indices };
  }

  /**
   * Clusters the photos added so far: §1 on the vocabulary asset (in the core session), the kept
   * nouns' prompts encoded (only those not encoded before, in memory or IndexedDB), the
   * clustering and the names. Called again with another K or method, it reuses the core's stages
   * whose inputs did not change (vlc::Session) and encodes only prompts of newly kept nouns.
   * @param {Record<string, any>} [options] the core's options (k, method, q, …), onProgress, signal
   */
  async cluster(options = {}) {
    checkOptionKeys(options, CLUSTER_KEYS, 'PhotoSession.cluster');
    checkFunction(options.onProgress, 'PhotoSession.cluster: options.onProgress');
    checkSignal(options.signal, 'PhotoSession.cluster: options.signal');
    const { signal } = options;
    const onProgress = options.onProgress ?? (() => {});
    const progress = (/** @type {string} */ stage, /** @type {number} */ done, /** @type {number} */ total) => onProgress({ stage, done, total });
    const m = this.indices.length;
    if (m < 2) {
      const e = new Error(`only ${m} of ${this.fileCount} files could be read as images; clustering needs at least 2${
        this.errors.length ? ` (${this.errors.map((x) => x.message).join('; ')})` : ''}`);
      /** @type {any} */ (e).errors = this.errors;
      throw e;
    }
    checkAbort(signal, 'clusterImages');
    const { vocabulary } = this;
    const d = this.encoder.dim;
    const co = coreOptions(options);
    if (co.q === undefined) co.q = defaultQ(m);
    if (co.genericLevels !== undefined) {
      co.depths = vocabulary.depths;
      checkDepths(co.depths, vocabulary.words.length, 'the vocabulary asset\'s "depths" (build it from a TSV with a depth column: models/build_text_assets.mjs)');
    }
    // The core's stages report as cluster:<stage> (normalise, filter, graph, rad, …) and can be stopped.
    const coreStages = coreProgress((stage, fraction) => progress(`cluster:${stage}`, fraction, 1), signal, 'clusterImages');
    const o = { ...co, onProgress: coreStages.report };
    const t0 = typeof performance !== 'undefined' ? performance.now() : Date.now();

    progress('filter', 0, 1);
    const kept = coreStages.run(() => {
      if (!this.core) {
        // The images cross into WASM here, once per photo set; T̄ once per core session.
        this.core = new this.mod.Session(this.imageMatrix(), { m, d }, o);
        this.core.setVocabularyMean(vocabulary.embeddings, vocabulary.words.length);
      } else {
        this.core.setOptions(o);
      }
      return Array.from(/** @type {Int32Array} */ (this.core.filterNouns()));
    });
    progress('filter', 1, 1);
    checkAbort(signal, 'clusterImages');

    const { data: templates, hits, total } = await this.templateEmbeddings(kept, onProgress, signal);
    checkAbort(signal, 'clusterImages');

    // Clustering on W^(b) = T^(b)[P], the kept nouns' prompts.
    progress('cluster', 0, 1);
    const r = coreStages.run(() => {
      this.core.setKeptTemplates(templates, this.templates.length);
      return this.core.cluster();
    });
    progress('cluster', 1, 1);
    checkAbort(signal, 'clusterImages');

    // Names from the whole vocabulary.
    progress('name', 0, 1);
    const names = coreStages.run(() => this.core.name());
    progress('name', 1, 1);
    const seconds = ((typeof performance !== 'undefined' ? performance.now() : Date.now()) - t0) / 1000;

    const { indices } = this;
    return {
      ...shapeResult(r, names, indices, this.fileCount, vocabulary.words),
      errors: this.errors,
      backend: this.encoder.backend,
      fallbackReason: this.encoder.fallbackReason,
      k: r.k,
      kCurve: r.kEstimate ? kCurve(r.kEstimate) : null,
      method: r.method,
      components: r.components,
      keptNouns: kept.map((i) => vocabulary.words[i]),
      // Near-duplicate photos as file indices (the core's rows mapped like labels).
      duplicateGroups: Array.from(/** @type {Int32Array[]} */ (r.duplicateGroups), (g) => Array.from(g, (row) => indices[row])),
      beta: Array.from(/** @type {Float64Array} */ (r.beta)),
      timings: r.timings,
      clusterSeconds: seconds,
      textCache: this.textCache.available && this.useCache ? { hits, total } : null,
    };
  }

  /** The core's stage counts (vlc::StageCounts): what a re-cluster reused. */
  counts() {
    return this.core ? this.core.counts() : { filter: 0, graph: 0, affinity: 0, partition: 0, name: 0 };
  }

  /** Frees the core session and the encoder's ONNX sessions. */
  async dispose() {
    this.dropCore();
    this.parts = [];
    this.images = null;
    await this.encoder.dispose().catch(() => {});
  }

  /** @private the M×d embeddings as one array (the parts joined once) */
  imageMatrix() {
    if (!this.images || this.images.length !== this.indices.length * this.encoder.dim) {
      this.images = concatRows(this.parts, this.indices.length * this.encoder.dim);
      this.parts = [this.images];
    }
    return this.images;
  }

  /** @private */
  dropCore() {
    if (this.core) this.core.delete();
    this.core = null;
  }

  /**
   * Text embeddings of the templates × kept nouns, B×|P|×d: from this session's memory, the
   * IndexedDB cache, or the text encoder (only what is missing).
   * @private @param {number[]} kept vocabulary indices
   * @param {(p: {stage: string, done: number, total: number}) => void} onProgress
   * @param {AbortSignal | undefined} signal
   */
  async templateEmbeddings(kept, onProgress, signal) {
    const d = this.encoder.dim;
    const texts = [];
    for (const t of this.templates) for (const i of kept) texts.push(t.replace('{}', this.vocabulary.words[i]));
    const notInMemory = texts.filter((t) => !this.textMemo.has(t));
    if (notInMemory.length && this.useCache) {
      const stored = await this.textCache.getMany(notInMemory);
      notInMemory.forEach((t, i) => { if (stored[i]) this.textMemo.set(t, stored[i]); });
    }
    const toEncode = [...new Set(texts.filter((t) => !this.textMemo.has(t)))];
    const have = texts.length - toEncode.length;
    onProgress({ stage: 'encode-texts', done: have, total: texts.length });
    if (toEncode.length) {
      const fresh = await this.encoder.encodeTexts(toEncode, {
        batchSize: this.textBatchSize,
        onProgress: ({ done }) => { checkAbort(signal, 'clusterImages'); onProgress({ stage: 'encode-texts', done: have + done, total: texts.length }); },
      });
      const rows = toEncode.map((_, i) => fresh.slice(i * d, (i + 1) * d));
      toEncode.forEach((t, i) => this.textMemo.set(t, rows[i]));
      if (this.useCache) await this.textCache.putMany(toEncode, rows);
    }
    onProgress({ stage: 'encode-texts', done: texts.length, total: texts.length });
    const out = new Float32Array(texts.length * d);
    texts.forEach((t, i) => out.set(/** @type {Float32Array} */ (this.textMemo.get(t)), i * d));
    return { data: out, hits: have, total: texts.length };
  }
}

/**
 * The whole pipeline in the calling thread (clusterImages runs this in a worker): one
 * PhotoSession's single pass.
 * @param {ArrayLike<any>} files FileList, File[], Blob[] or pixels
 * @param {Record<string, any>} options
 */
export async function runPipeline(files, options = {}) {
  checkPipelineOptions(options);
  const { signal } = options;
  checkAbort(signal, 'clusterImages');
  const session = await PhotoSession.open(pick(options, OPEN_KEYS));
  try {
    const each = { onProgress: options.onProgress, signal };
    await session.addFiles(files, { ...pick(options, ['minImageSide', 'batchSize']), ...each });
    return await session.cluster({ ...pick(options, CLUSTER_KEYS), ...each });
  } finally {
    await session.dispose();
  }
}

/** Option keys and the callbacks' types of clusterImages / runPipeline. @param {Record<string, any>} options */
export function checkPipelineOptions(options) {
  checkOptionKeys(options, PIPELINE_KEYS, 'clusterImages');
  checkFunction(options.onProgress, 'clusterImages: options.onProgress');
  checkSignal(options.signal, 'clusterImages: options.signal');
}

/** Resolves a URL-ish option against the page, so that a worker sees the same file. */
function absolute(/** @type {any} */ x) {
  if (typeof x !== 'string' && !(x instanceof URL)) return x;
  const base = typeof document !== 'undefined' ? document.baseURI : (globalThis.location?.href ?? undefined);
  try {
    return base ? new URL(String(x), base).href : String(x);
  } catch {
    return String(x);
  }
}

/** Model option with every URL made absolute (posted to the worker). */
function absoluteModel(/** @type {any} */ model) {
  if (typeof model === 'string' && isHubId(model)) return model;  // resolved against hubUrl, not the page
  if (typeof model === 'string' || model instanceof URL) {
    const s = String(model);
    return absolute(s.endsWith('/') ? s : `${s}/`);
  }
  if (!model || typeof model !== 'object') return model;
  /** @type {Record<string, any>} */
  const out = {};
  for (const [k, v] of Object.entries(model)) out[k] = k === 'id' ? v : (v && typeof v === 'object' && !(v instanceof URL) && !ArrayBuffer.isView(v) && !(v instanceof ArrayBuffer) ? absoluteModel(v) : absolute(v));
  return out;
}

/**
 * The pipeline's module worker. The default is spelled out as
 * `new Worker(new URL('./worker.js', import.meta.url), { type: 'module' })`: bundlers (Vite,
 * webpack 5, Rollup plugins) recognise only that literal form and then build worker.js with its
 * imports as a worker chunk; any other spelling leaves a URL to unbundled source.
 * @param {string | URL | undefined} workerUrl
 */
function startWorker(workerUrl) {
  if (workerUrl != null) return new Worker(workerUrl, { type: 'module' });
  return new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
}

/**
 * The whole pipeline, in a module Web Worker when one can be started (else in this thread).
 * @param {ArrayLike<any>} files FileList, File[], Blob[] or pixels
 * @param {Record<string, any>} options
 */
export function clusterImages(files, options = {}) {
  try {
    checkPipelineOptions(options);
  } catch (e) {
    return Promise.reject(e);
  }
  const { signal, onProgress, ...rest } = options;
  const useWorker = options.worker ?? (typeof Worker === 'function' && typeof document !== 'undefined');
  if (!useWorker) return runPipeline(files, options);
  if (rest.ort) throw new Error('clusterImages: `ort` (a module object) cannot be sent to a worker; give ortUrl, or worker: false');
  const posted = { ...rest };
  delete posted.worker;
  posted.model = absoluteModel(options.model);
  for (const key of ['ortUrl', 'wasmUrl']) if (posted[key]) posted[key] = absolute(posted[key]);
  if (posted.vocabulary) posted.vocabulary = absoluteModel(posted.vocabulary);
  if (typeof posted.nounList === 'string') posted.nounList = absolute(posted.nounList);
  if (typeof posted.wasmPaths === 'string') posted.wasmPaths = absolute(posted.wasmPaths);
  return new Promise((resolve, reject) => {
    if (signal?.aborted) { reject(abortError(signal, 'clusterImages')); return; }
    const worker = startWorker(options.workerUrl);
    const finish = () => {
      worker.terminate();
      signal?.removeEventListener('abort', onAbort);
    };
    const onAbort = () => { finish(); reject(abortError(signal, 'clusterImages')); };
    signal?.addEventListener('abort', onAbort, { once: true });
    worker.onmessage = (ev) => {
      const msg = ev.data;
      if (msg.type === 'progress') { if (typeof onProgress === 'function') onProgress(msg.progress); return; }
      finish();
      if (msg.type === 'result') resolve(msg.result);
      else {
        const e = new Error(msg.message);
        if (msg.name) e.name = msg.name;
        if (msg.errors) /** @type {any} */ (e).errors = msg.errors;
        reject(e);
      }
    };
    worker.onerror = (ev) => {
      finish();
      reject(new Error(`clusterImages worker failed: ${ev.message || 'could not start web/src/worker.js'}`));
    };
    worker.postMessage({ type: 'run', files, options: posted });
  });
}
