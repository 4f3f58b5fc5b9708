// Clustering on the device: the WebAssembly core (wasm/bindings.cpp, built into web/dist/ by
// scripts/build-wasm) on typed arrays, and the whole photo pipeline
//   decode -> CLIP image encoding -> noun filtering on the precomputed vocabulary asset
//   -> CLIP text encoding of the kept nouns under the 7 templates -> clustering -> names.
// clusterImages() runs the pipeline in a module Web Worker (web/src/worker.js) when it can;
// runPipeline() is the same pipeline in the calling thread.

import { decodeImage, preprocessImage } from './preprocess.js';
import { Encoder, runtimeImport } from './encoder.js';
import { TEMPLATES, loadVocabulary, deviceVocabularyAsset } from './vocabulary.js';
import { findVocabularyAsset, isHubId, resolveModel } from './models.js';
import { openIndexedDb } from './store.js';

export { TEMPLATES, loadVocabulary, halfToFloat, floatToHalf } from './vocabulary.js';
import {
  checkAttached, checkFunction, checkOptionKeys, checkSignal, describe, positiveInteger, TABLE_OPTION_KEYS,
} from './options.js';


/** Images whose width or height is below this are reported as errors (e.g. 1×1 tracking pixels). */
export const MIN_IMAGE_SIDE = 8;

// ---------------------------------------------------------------------------------------------
// The WebAssembly module

/** @type {Map<string, Promise<any>>} */
const modules = new Map();

/**
 * The package's own vlc_wasm.mjs and vlc_wasm.wasm. Each `new URL('…', import.meta.url)` is
 * written out literally: that is the form Vite, webpack 5 and Rollup recognise, copy into the
 * build (under a hashed name) and rewrite, so the core loads from a bundled app with no config.
 */
function packagedCore() {
  return {
    module: new URL('../dist/vlc_wasm.mjs', import.meta.url).href,
    wasm: new URL('../dist/vlc_wasm.wasm', import.meta.url).href,
  };
}

/**
 * Loads (once per URL) the Emscripten module web/dist/vlc_wasm.mjs.
 * @param {{url?: string | URL}} [options] url of vlc_wasm.mjs (default: this package's web/dist/;
 *   a given URL needs vlc_wasm.wasm beside it)
 */
export function loadVlcModule(options = {}) {
  const packaged = packagedCore();
  const url = options.url == null ? packaged.module : String(options.url);
  // A bundler renames the two files independently, so the .wasm is not always beside the .mjs.
  const wasmUrl = options.url == null ? packaged.wasm : url.replace(/\.mjs(\?.*)?$/, '.wasm');
  let p = modules.get(url);
  if (!p) {
    p = (async () => {
      let factory;
      try {
        factory = (await runtimeImport(url)).default;
      } catch (e) {
        throw new Error(`cannot load the clustering core ${url}: ${message(e)} (build it with scripts/build-wasm)`);
      }
      /** @type {Record<string, any>} */
      const args = {
        locateFile: (/** @type {string} */ path, /** @type {string} */ dir) => (path.endsWith('.wasm') ? wasmUrl : dir + path),
      };
      // Under node, read the .wasm ourselves: node's global fetch() cannot load file paths, and
      // Emscripten 3.1.6 prefers fetch() whenever it exists.
      const isNode = typeof process === 'object' && !!process.versions?.node && typeof window === 'undefined';
      if (isNode && wasmUrl.startsWith('file:')) {
        const { readFile } = await runtimeImport('node:fs/promises');
        args.wasmBinary = await readFile(new URL(wasmUrl));
      }
      return factory(args);
    })();
    p.catch(() => modules.delete(url));
    modules.set(url, p);
  }
  return p;
}

/** @param {unknown} e */
function message(e) {
  return e instanceof Error ? e.message : String(e);
}

/** @param {any} x */
function isFloatArray(x) {
  return x instanceof Float32Array || x instanceof Float64Array;
}

/**
 * Flattens images given as one row-major Float32Array (needs `numImages` and `dim`: one number
 * alone cannot be checked, and a wrong `dim` that divides the length would silently give another
 * M) or an array of rows (M and d are the rows'; `numImages` / `dim`, when given, must agree).
 * @param {Float32Array | ArrayLike<number>[]} images
 * @param {{dim?: number, numImages?: number}} options
 */
function flattenImages(images, options) {
  const dim = positiveInteger(options.dim, 'clusterEmbeddings: options.dim');
  const numImages = positiveInteger(options.numImages, 'clusterEmbeddings: options.numImages');
  checkAttached(images, 'clusterEmbeddings: images');
  if (isFloatArray(images)) {
    const a = /** @type {Float32Array} */ (images);
    if (dim === undefined || numImages === undefined) {
      throw new Error(`clusterEmbeddings: images is one flat ${a.constructor.name} of ${a.length} values: give options.numImages (M) and options.dim (d), with M × d = ${a.length}`);
    }
    if (a.length !== numImages * dim) {
      throw new Error(`clusterEmbeddings: images has ${a.length} values; expected numImages × dim = ${numImages} × ${dim} = ${numImages * dim}`);
    }
    return { data: a, m: numImages, d: dim };
  }
  if (!Array.isArray(images) || !images.length) throw new Error('clusterEmbeddings: images must be a Float32Array (M×d) or a non-empty array of rows');
  images.forEach((r, i) => checkAttached(r, `clusterEmbeddings: image row ${i}`));
  const d = images[0].length;
  if (!d) throw new Error('clusterEmbeddings: image row 0 has no values');
  if (dim !== undefined && dim !== d) throw new Error(`clusterEmbeddings: options.dim = ${dim}, but the image rows have ${d} values`);
  if (numImages !== undefined && numImages !== images.length) throw new Error(`clusterEmbeddings: options.numImages = ${numImages}, but images has ${images.length} rows`);
  const data = new Float32Array(images.length * d);
  images.forEach((r, i) => {
    if (r.length !== d) throw new Error(`clusterEmbeddings: image row ${i} has ${r.length} values, row 0 has ${d}`);
    data.set(r, i * d);
  });
  return { data, m: images.length, d };
}

/** The methods that use no noun embeddings, for which `templates: null` is allowed. */
const TEXT_FREE_METHODS = Object.freeze(['kmeans', 'cosine', 'rbf']);

/**
 * Templates as an array of B Float32Arrays (each L×d) or one Float32Array B×L×d (needs
 * numTemplates B or numNouns L: the length alone cannot tell B from L). `numTemplates` and
 * `numNouns`, when given, must agree with the arrays.
 * @param {Float32Array | Float32Array[] | null | undefined} templates
 * @param {number} d
 * @param {{numTemplates?: number, numNouns?: number, method?: string}} options
 */
function flattenTemplates(templates, d, options) {
  const numTemplates = positiveInteger(options.numTemplates, 'clusterEmbeddings: options.numTemplates');
  const numNouns = positiveInteger(options.numNouns, 'clusterEmbeddings: options.numNouns');
  const method = options.method ?? 'ntk-rad';
  if (templates == null || (Array.isArray(templates) && !templates.length)) {
    if (!TEXT_FREE_METHODS.includes(method)) {
      throw new Error(`clusterEmbeddings: templates is ${templates === null ? 'null' : 'empty'}; only the text-free methods (${TEXT_FREE_METHODS.join(', ')}) take no noun embeddings, method '${method}' needs B×L×d`);
    }
    return { data: new Float32Array(0), b: 0, l: 0 };
  }
  checkAttached(templates, 'clusterEmbeddings: templates');
  if (isFloatArray(templates)) {
    const a = /** @type {Float32Array} */ (templates);
    if (numTemplates === undefined && numNouns === undefined) {
      throw new Error(`clusterEmbeddings: templates is one flat ${a.constructor.name} of ${a.length} values: give options.numTemplates (B) or options.numNouns (L), with B × L × d = ${a.length} (d = ${d})`);
    }
    const b = numTemplates ?? a.length / (/** @type {number} */ (numNouns) * d);
    const l = numNouns ?? a.length / (b * d);
    if (!Number.isInteger(b) || !Number.isInteger(l) || b * l * d !== a.length) {
      throw new Error(`clusterEmbeddings: templates has ${a.length} values, not B × L × d with ${numTemplates !== undefined ? `B = ${numTemplates}` : ''}${numTemplates !== undefined && numNouns !== undefined ? ', ' : ''}${numNouns !== undefined ? `L = ${numNouns}` : ''}, d = ${d}`);
    }
    return { data: a, b, l };
  }
  if (!Array.isArray(templates)) throw new Error('clusterEmbeddings: templates must be a Float32Array (B×L×d) or an array of B Float32Arrays (L×d)');
  templates.forEach((t, i) => checkAttached(t, `clusterEmbeddings: template ${i}`));
  const b = templates.length;
  if (numTemplates !== undefined && numTemplates !== b) throw new Error(`clusterEmbeddings: options.numTemplates = ${numTemplates}, but templates has ${b} arrays`);
  const n = templates[0].length;
  if (n % d) throw new Error(`clusterEmbeddings: template 0 has ${n} values, not a multiple of d = ${d}`);
  if (numNouns !== undefined && numNouns * d !== n) throw new Error(`clusterEmbeddings: template 0 has ${n} values; expected numNouns × d = ${numNouns} × ${d} = ${numNouns * d}`);
  const data = new Float32Array(b * n);
  templates.forEach((t, i) => {
    if (t.length !== n) throw new Error(`clusterEmbeddings: template ${i} has ${t.length} values, template 0 has ${n}`);
    data.set(t, i * n);
  });
  return { data, b, l: n / d };
}

/**
 * The options the WASM core reads (see wasm/bindings.cpp parse_options): the rows of the core's
 * options table, and the noun mask's inputs.
 */
const CORE_KEYS = Object.freeze([...TABLE_OPTION_KEYS, 'nounMask', 'genericLevels', 'depths']);

/** Every option clusterEmbeddings takes (index.d.ts ClusterEmbeddingsOptions). */
const EMBEDDINGS_KEYS = Object.freeze([...CORE_KEYS, 'wasmUrl', 'dim', 'numImages', 'numTemplates', 'numNouns', 'nameClusters', 'names',
  'words', 'onProgress', 'signal']);

/** Every option clusterImages / runPipeline take (index.d.ts ClusterImagesOptions). */
const PIPELINE_KEYS = Object.freeze([...CORE_KEYS.filter((k) => k !== 'depths'), 'wasmUrl', 'model', 'vocabulary', 'onProgress', 'signal',
  'worker', 'workerUrl', 'ortUrl', 'ort', 'wasmPaths', 'executionProviders', 'numThreads', 'batchSize', 'textBatchSize', 'templates',
  'cache', 'minImageSide', 'hubUrl', 'dtype', 'revision', 'cacheDir', 'nounList', 'nounSelection']);

/** The options object the WASM core reads (see wasm/bindings.cpp parse_options). */
function coreOptions(/** @type {Record<string, any>} */ o) {
  /** @type {Record<string, any>} */
  const out = {};
  for (const key of CORE_KEYS) if (o[key] !== undefined) out[key] = o[key];
  const k = o.k ?? 'auto';
  out.k = k === 'auto' ? 0 : k;
  return out;
}

/**
 * The progress function handed to the core, and the way to stop it. The core calls `report` at
 * each stage boundary; `report` returns true to stop (the binding then unwinds the core with a C++
 * exception, freeing its matrices) and never throws: a JS exception crossing the WASM frames would
 * skip every C++ destructor and leak the run's memory. `run` calls the core and turns its
 * "VlcCancelled" error back into the reason: the signal's AbortError, or what onProgress threw.
 * @param {((stage: string, fraction: number) => void) | undefined} onProgress
 * @param {AbortSignal | undefined} signal
 * @param {string} what the caller's name, for the AbortError's message
 */
function coreProgress(onProgress, signal, what) {
  /** @type {{reason: unknown} | null} */
  let stop = null;
  const aborted = () => { if (!stop && signal?.aborted) stop = { reason: abortError(signal, what) }; };
  return {
    report(/** @type {string} */ stage, /** @type {number} */ fraction) {
      try {
        aborted();
        if (!stop && onProgress) onProgress(stage, fraction);
        aborted();  // onProgress may have aborted the signal
      } catch (e) {
        stop = { reason: e };
      }
      return stop !== null;
    },
    /** @template T @param {() => T} call @returns {T} */
    run(call) {
      try {
        return call();
      } catch (e) {
        if (stop && /** @type {any} */ (e)?.name === 'VlcCancelled') throw stop.reason;
        throw e;
      }
    },
  };
}

/**
 * The default number of neighbours q for M images: the core's q = 30, lowered to ⌊(M−1)/3⌋ for
 * small sets (q must be below M, and a neighbourhood of a third of all images no longer
 * separates clusters). At least 1.
 * @param {number} m
 */
export function defaultQ(m) {
  return Math.max(1, Math.min(30, Math.floor((m - 1) / 3)));
}

/**
 * Clusters embeddings with the WebAssembly core (vlc::cluster).
 * @param {Float32Array | ArrayLike<number>[]} images M×d
 * @param {Float32Array | Float32Array[] | null} templates B×L×d
 * @param {Record<string, any>} [options]
 */
export async function clusterEmbeddings(images, templates, options = {}) {
  checkOptionKeys(options, EMBEDDINGS_KEYS, 'clusterEmbeddings');
  checkFunction(options.onProgress, 'clusterEmbeddings: options.onProgress');
  checkSignal(options.signal, 'clusterEmbeddings: options.signal');
  if (options.signal?.aborted) throw abortError(options.signal, 'clusterEmbeddings');
  const { data, m, d } = flattenImages(images, options);
  const t = flattenTemplates(templates, d, options);
  const nouns = options.names?.nouns;
  if (nouns) checkNamingNouns(nouns, d);
  checkWords(options.words, nouns ? nouns.length / d : t.l);
  const o = coreOptions(options);
  if (o.q === undefined) o.q = defaultQ(m);
  if (o.genericLevels !== undefined) checkDepths(o.depths, t.l, 'options.depths');
  const progress = coreProgress(options.onProgress, options.signal, 'clusterEmbeddings');
  o.onProgress = progress.report;
  const mod = await loadVlcModule({ url: options.wasmUrl });
  const r = progress.run(() => mod.cluster(data, t.data, { m, d, b: t.b, l: t.l }, o));
  delete o.onProgress;
  if (options.nameClusters || options.names) {
    if (nouns) {
      const l = nouns.length / d;
      // Another vocabulary: the noun mask (nounMask / genericLevels) belongs to the templates' one.
      const { nounMask, genericLevels, depths, ...unmasked } = o;
      r.names = mod.nameClusters(data, nouns, { m, d, l }, r.labels, r.k, unmasked);
    } else if (t.b) {
      r.names = mod.nameClusters(data, ensembleNouns(t.data, t.b, t.l, d), { m, d, l: t.l }, r.labels, r.k, o);
    }
  } else {
    r.names = [];
  }
  const words = options.words;
  if (words) {
    for (const n of r.names) n.words = Array.from(n.nouns, (/** @type {number} */ i) => words[i]);
  }
  r.kCurve = r.kEstimate ? kCurve(r.kEstimate) : null;
  return r;
}

/** names.nouns: another vocabulary T̄, L×d. @param {unknown} nouns @param {number} d */
function checkNamingNouns(nouns, d) {
  checkAttached(nouns, 'clusterEmbeddings: options.names.nouns');
  if (!isFloatArray(nouns)) throw new TypeError(`clusterEmbeddings: options.names.nouns must be a Float32Array (L×d), got ${describe(nouns)}`);
  const n = /** @type {Float32Array} */ (nouns).length;
  if (!n || n % d) throw new Error(`clusterEmbeddings: options.names.nouns has ${n} values, not L × d with d = ${d}`);
}

/** words name the L nouns of the naming vocabulary, one each. @param {unknown} words @param {number} l */
function checkWords(words, l) {
  if (words === undefined) return;
  if (!Array.isArray(words)) throw new TypeError(`clusterEmbeddings: options.words must be an array of strings, got ${describe(words)}`);
  if (words.length !== l) throw new Error(`clusterEmbeddings: options.words has ${words.length} words for ${l} vocabulary nouns`);
}

/**
 * genericLevels (WordNet hierarchy filtering, core/include/vlc/hierarchy.hpp) needs one depth per
 * vocabulary noun.
 * @param {ArrayLike<number> | undefined} depths @param {number} l @param {string} what
 */
function checkDepths(depths, l, what) {
  if (depths == null) {
    throw new Error(`genericLevels needs ${what}: the WordNet depth of each of the ${l} vocabulary nouns (-1 = unknown)`);
  }
  if (depths.length !== l) throw new Error(`genericLevels: ${what} has ${depths.length} depths for ${l} vocabulary nouns`);
}

/** The automatic-K curves as plain rows {k, codingLength, eigengap}. */
function kCurve(/** @type {any} */ e) {
  return Array.from(e.candidates, (/** @type {number} */ k, /** @type {number} */ i) => ({
    k,
    codingLength: e.codingLength.length ? e.codingLength[i] : null,
    eigengap: e.eigengap.length ? e.eigengap[i] : null,
  }));
}

/**
 * T̄ = rownormalise((1/B) Σ_b T^(b)) of unit-normalised template rows (ALGORITHM.md §1 step 1).
 * @param {Float32Array} t B×L×d
 * @param {number} b @param {number} l @param {number} d
 */
export function ensembleNouns(t, b, l, d) {
  const out = new Float32Array(l * d);
  for (let j = 0; j < b; j++) {
    for (let i = 0; i < l; i++) {
      const off = (j * l + i) * d;
      let s = 0;
      for (let c = 0; c < d; c++) s += t[off + c] * t[off + c];
      const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
      for (let c = 0; c < d; c++) out[i * d + c] += t[off + c] * inv;
    }
  }
  return normalizeRows(out, d);
}

/** @param {Float32Array} x @param {number} d */
function normalizeRows(x, d) {
  for (let i = 0; i < x.length; i += d) {
    let s = 0;
    for (let c = 0; c < d; c++) s += x[i + c] * x[i + c];
    const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
    for (let c = 0; c < d; c++) x[i + c] *= inv;
  }
  return x;
}

/**
 * §1 alone (vlc::filter_nouns) on the template-averaged vocabulary: the vocabulary indices of the
 * positive nouns, so that only those need encoding under each template.
 * @param {Float32Array} images M×d
 * @param {Float32Array} nouns L×d (T̄)
 * @param {{dim: number, k?: number|'auto', kmin?: number, kmax?: number, perCentre?: number, seed?: number, wasmUrl?: string, nounMask?: Uint8Array}} options
 */
export async function filterNouns(images, nouns, options) {
  checkOptionKeys(options, [...CORE_KEYS, 'wasmUrl', 'dim'], 'filterNouns');
  const d = positiveInteger(options.dim, 'filterNouns: options.dim');
  if (d === undefined) throw new Error('filterNouns: give options.dim (the embedding size)');
  for (const [x, what] of [[images, 'images'], [nouns, 'nouns']]) {
    checkAttached(x, `filterNouns: ${what}`);
    if (!isFloatArray(x) || x.length % d) throw new Error(`filterNouns: ${what} must be a Float32Array of rows of dim = ${d} values, got ${describe(x)} of ${x?.length} values`);
  }
  const mod = await loadVlcModule({ url: options.wasmUrl });
  const r = mod.filterNouns(images, nouns, { m: images.length / d, d, l: nouns.length / d }, coreOptions(options));
  return r;
}

// ---------------------------------------------------------------------------------------------
// Text-embedding cache (IndexedDB; a no-op where there is none, e.g. node)

const DB_NAME = 'vlcluster-text-cache';
const STORE = 'embeddings';

export class TextEmbeddingCache {
  /** @param {string} modelId */
  constructor(modelId) {
    this.modelId = modelId;
    /** @type {Promise<IDBDatabase | null> | null} */
    this.db = null;
    this.available = typeof indexedDB !== 'undefined' && indexedDB !== null;
  }

  /** @private */
  open() {
    this.db ??= openIndexedDb(DB_NAME, STORE);
    return this.db;
  }

  /** @param {string} text */
  key(text) {
    return `${this.modelId}\u0000${text}`;
  }

  /**
   * Cached embeddings of texts (undefined where missing).
   * @param {string[]} texts
   * @returns {Promise<(Float32Array | undefined)[]>}
   */
  async getMany(texts) {
    const db = await this.open();
    if (!db) return texts.map(() => undefined);
    return new Promise((resolve) => {
      /** @type {(Float32Array | undefined)[]} */
      const out = new Array(texts.length).fill(undefined);
      try {
        const tx = db.transaction(STORE, 'readonly');
        const store = tx.objectStore(STORE);
        texts.forEach((t, i) => {
          const req = store.get(this.key(t));
          req.onsuccess = () => {
            if (req.result instanceof Float32Array) out[i] = req.result;
          };
        });
        tx.oncomplete = () => resolve(out);
        tx.onerror = () => resolve(out);
        tx.onabort = () => resolve(out);
      } catch {
        resolve(out);
      }
    });
  }

  /**
   * @param {string[]} texts
   * @param {Float32Array[]} embeddings
   */
  async putMany(texts, embeddings) {
    const db = await this.open();
    if (!db) return;
    await new Promise((resolve) => {
      try {
        const tx = db.transaction(STORE, 'readwrite');
        const store = tx.objectStore(STORE);
        texts.forEach((t, i) => store.put(embeddings[i], this.key(t)));
        tx.oncomplete = () => resolve(undefined);
        tx.onerror = () => resolve(undefined);
        tx.onabort = () => resolve(undefined);
      } catch {
        resolve(undefined);
      }
    });
  }
}

// ---------------------------------------------------------------------------------------------
// The pipeline

/** @param {AbortSignal | undefined} signal */
function checkAbort(signal) {
  if (signal?.aborted) throw abortError(signal, 'clusterImages');
}

/** A file's display name. @param {any} file @param {number} index */
function fileName(file, index) {
  return (file && typeof file.name === 'string' && file.name) || `file #${index}`;
}

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
 * The whole pipeline in the calling thread (clusterImages runs this in a worker).
 * @param {ArrayLike<Blob | {name?: string, data: Uint8ClampedArray | Uint8Array, width: number, height: number}>} files FileList, File[], Blob[] or pixels
 * @param {Record<string, any>} options
 */
export async function runPipeline(files, options = {}) {
  checkPipelineOptions(options);
  const { signal } = options;
  const onProgress = options.onProgress ?? (() => {});
  const progress = (/** @type {string} */ stage, /** @type {number} */ done, /** @type {number} */ total) => {
    onProgress({ stage, done, total });
  };
  const minSide = options.minImageSide ?? MIN_IMAGE_SIDE;
  const templates = options.templates ?? TEMPLATES;
  checkAbort(signal);

  // Models and the runtime.
  progress('load', 0, 1);
  const [{ encoder, vocabulary, id: modelId }] = await Promise.all([
    loadModelAndVocabulary(options, onProgress),
    loadVlcModule({ url: options.wasmUrl }),
  ]);
  try {
    if (vocabulary.dim !== encoder.dim) {
      throw new Error(`vocabulary embeddings have dimension ${vocabulary.dim}, the model's embeddings ${encoder.dim}: the vocabulary asset was built for another model`);
    }
    progress('load', 1, 1);
    checkAbort(signal);

    // Decode + preprocess, one file at a time; bad files become error entries.
    /** @type {{file: string, index: number, message: string}[]} */
    const errors = [];
    /** @type {Float32Array[]} */
    const tensors = [];
    /** @type {number[]} */
    const indices = [];
    for (let i = 0; i < files.length; i++) {
      checkAbort(signal);
      const file = files[i];
      const name = fileName(file, i);
      try {
        const pixels = await decodeFile(file);
        if (pixels.width < minSide || pixels.height < minSide) {
          throw new Error(`image is ${pixels.width}×${pixels.height} pixels; images smaller than ${minSide}×${minSide} are not clustered`);
        }
        tensors.push(preprocessImage(pixels, { size: encoder.imageSize }));
        indices.push(i);
      } catch (e) {
        errors.push({ file: name, index: i, message: `${name}: ${message(e)}` });
      }
      progress('decode', i + 1, files.length);
    }
    const m = tensors.length;
    if (m < 2) {
      const e = new Error(`only ${m} of ${files.length} files could be read as images; clustering needs at least 2${
        errors.length ? ` (${errors.map((x) => x.message).join('; ')})` : ''}`);
      /** @type {any} */ (e).errors = errors;
      throw e;
    }

    // Image embeddings.
    checkAbort(signal);
    progress('encode-images', 0, m);
    const images = await encoder.encodeImages(tensors, {
      batchSize: options.batchSize ?? 8,
      onProgress: ({ done, total }) => { checkAbort(signal); progress('encode-images', done, total); },
    });
    tensors.length = 0;
    const d = encoder.dim;
    checkAbort(signal);

    // §1 on the precomputed template-averaged vocabulary; then only the kept nouns are encoded.
    const mod = await loadVlcModule({ url: options.wasmUrl });
    const co = coreOptions(options);
    if (co.q === undefined) co.q = defaultQ(m);
    if (co.genericLevels !== undefined) {
      co.depths = vocabulary.depths;
      checkDepths(co.depths, vocabulary.words.length, 'the vocabulary asset\'s "depths" (build it from a TSV with a depth column: models/build_text_assets.mjs)');
    }
    // One core session for the rest of the run (vlc::Session): the images cross into WASM once;
    // §1 on the vocabulary asset's T̄, the clustering on the kept nouns' prompts and the names
    // from the whole vocabulary all read them there, and §1 runs once.
    // Its stages report as cluster:<stage> (normalise, filter, graph, rad, …) and can be stopped.
    const coreStages = coreProgress((stage, fraction) => progress(`cluster:${stage}`, fraction, 1), signal, 'clusterImages');
    const session = coreStages.run(() => new mod.Session(images, { m, d }, { ...co, onProgress: coreStages.report }));
    try {
      progress('filter', 0, 1);
      const kept = coreStages.run(() => {
        session.setVocabularyMean(vocabulary.embeddings, vocabulary.words.length);
        return Array.from(/** @type {Int32Array} */ (session.filterNouns()));
      });
      progress('filter', 1, 1);
      checkAbort(signal);

      const texts = [];
      for (const t of templates) for (const i of kept) texts.push(t.replace('{}', vocabulary.words[i]));
      const cache = new TextEmbeddingCache(modelId);
      const cached = options.cache === false ? texts.map(() => undefined) : await cache.getMany(texts);
      const missing = texts.filter((_, i) => !cached[i]);
      progress('encode-texts', texts.length - missing.length, texts.length);
      const fresh = missing.length
        ? await encoder.encodeTexts(missing, {
          batchSize: options.textBatchSize ?? 32,
          onProgress: ({ done }) => { checkAbort(signal); progress('encode-texts', texts.length - missing.length + done, texts.length); },
        })
        : new Float32Array(0);
      const t = new Float32Array(texts.length * d);
      /** @type {Float32Array[]} */
      const freshRows = [];
      for (let i = 0, f = 0; i < texts.length; i++) {
        const row = cached[i] ?? fresh.slice(f * d, (f++ + 1) * d);
        if (!cached[i]) freshRows.push(row);
        t.set(row, i * d);
      }
      if (options.cache !== false && missing.length) await cache.putMany(missing, freshRows);
      progress('encode-texts', texts.length, texts.length);
      checkAbort(signal);

      // Clustering on W^(b) = T^(b)[P], the kept nouns' prompts just encoded.
      session.setKeptTemplates(t, templates.length);
      progress('cluster', 0, 1);
      const r = coreStages.run(() => session.cluster());
      progress('cluster', 1, 1);
      checkAbort(signal);

      // Names from the whole vocabulary.
      progress('name', 0, 1);
      const names = coreStages.run(() => session.name());
      progress('name', 1, 1);

      const labels = new Int32Array(files.length).fill(-1);
      indices.forEach((fileIndex, row) => { labels[fileIndex] = r.labels[row]; });
      // Map coordinates per file, like labels: NaN for the files in errors; empty without a graph.
      const embedding2d = new Float64Array(r.embedding2d.length ? 2 * files.length : 0).fill(NaN);
      if (embedding2d.length) indices.forEach((fileIndex, row) => embedding2d.set(r.embedding2d.subarray(2 * row, 2 * row + 2), 2 * fileIndex));
      const clusters = names.map((/** @type {any} */ n) => {
        const nouns = Array.from(/** @type {Int32Array} */ (n.nouns));
        const shares = Array.from(/** @type {Float64Array} */ (n.shares));
        return {
          id: n.cluster,
          name: nouns.length ? vocabulary.words[nouns[0]] : '',
          share: shares.length ? shares[0] : 0,
          runnersUp: nouns.slice(1).map((w, j) => ({ noun: vocabulary.words[w], share: shares[j + 1] })),
          members: indices.filter((_, row) => r.labels[row] === n.cluster),
        };
      });
      return {
        clusters,
        labels,
        errors,
        backend: encoder.backend,
        fallbackReason: encoder.fallbackReason,
        k: r.k,
        kCurve: r.kEstimate ? kCurve(r.kEstimate) : null,
        keptNouns: kept.map((i) => vocabulary.words[i]),
        embedding2d,
        // Near-duplicate photos as file indices (the core's rows mapped like labels).
        duplicateGroups: Array.from(/** @type {Int32Array[]} */ (r.duplicateGroups), (g) => Array.from(g, (row) => indices[row])),
        beta: Array.from(/** @type {Float64Array} */ (r.beta)),
        timings: r.timings,
        textCache: cache.available && options.cache !== false ? { hits: texts.length - missing.length, total: texts.length } : null,
      };
    } finally {
      session.delete();
    }
  } finally {
    await encoder.dispose().catch(() => {});
  }
}

/**
 * The encoder and the vocabulary of `options.model`: an object naming each file is loaded as it
 * is; a folder URL, local folder or hub id goes through models.js (download, cache, variants), and
 * when that folder ships no vocabulary asset it is built on this device (vocabulary.js).
 * @param {Record<string, any>} options runPipeline's
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

/** Option keys and the callbacks' types of clusterImages / runPipeline. @param {Record<string, any>} options */
function checkPipelineOptions(options) {
  checkOptionKeys(options, PIPELINE_KEYS, 'clusterImages');
  checkFunction(options.onProgress, 'clusterImages: options.onProgress');
  checkSignal(options.signal, 'clusterImages: options.signal');
}

/** @param {any} file */
async function decodeFile(file) {
  if (file && typeof file === 'object' && 'data' in file && 'width' in file && 'height' in file) return file;
  if (!file || typeof file.arrayBuffer !== 'function') throw new Error('not a File/Blob or pixel data');
  if (file.size === 0) throw new Error('file is empty (0 bytes)');
  if (file.type && !file.type.startsWith('image/')) throw new Error(`not an image (type ${file.type})`);
  try {
    return await decodeImage(file);
  } catch (e) {
    throw new Error(`cannot decode image: ${message(e)}`);
  }
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
 * @param {ArrayLike<Blob | {name?: string, data: Uint8ClampedArray | Uint8Array, width: number, height: number}>} files FileList, File[], Blob[] or pixels
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

/**
 * What an aborted call rejects with: the signal's reason when it is an Error (AbortController's
 * default reason is an AbortError DOMException), else an AbortError DOMException.
 * @param {AbortSignal | undefined} signal @param {string} what
 */
function abortError(signal, what) {
  if (signal?.reason instanceof Error) return signal.reason;
  return new DOMException(`${what} was aborted`, 'AbortError');
}
