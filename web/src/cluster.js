// Clustering on the device: the WebAssembly core (wasm/bindings.cpp, built into web/dist/ by
// scripts/build-wasm) on typed arrays — clusterEmbeddings(), filterNouns() — and the text-embedding
// cache. The photo pipeline built on them (PhotoSession, runPipeline, clusterImages) is
// web/src/photo_session.js.

import { runtimeImport } from './encoder.js';
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
export function message(e) {
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
export const CORE_KEYS = Object.freeze([...TABLE_OPTION_KEYS, 'nounMask', 'genericLevels', 'depths']);

/** Every option clusterEmbeddings takes (index.d.ts ClusterEmbeddingsOptions). */
const EMBEDDINGS_KEYS = Object.freeze([...CORE_KEYS, 'wasmUrl', 'dim', 'numImages', 'numTemplates', 'numNouns', 'nameClusters', 'names',
  'words', 'onProgress', 'signal']);

/** The options object the WASM core reads (see wasm/bindings.cpp parse_options). */
export function coreOptions(/** @type {Record<string, any>} */ o) {
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
export function coreProgress(onProgress, signal, what) {
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
export function checkDepths(depths, l, what) {
  if (depths == null) {
    throw new Error(`genericLevels needs ${what}: the WordNet depth of each of the ${l} vocabulary nouns (-1 = unknown)`);
  }
  if (depths.length !== l) throw new Error(`genericLevels: ${what} has ${depths.length} depths for ${l} vocabulary nouns`);
}

/** The automatic-K curves as plain rows {k, codingLength, eigengap}. */
export function kCurve(/** @type {any} */ e) {
  return Array.from(e.candidates, (/** @type {number} */ k, /** @type {number} */ i) => ({
    k,
    codingLength: e.codingLength.length ? e.codingLength[i] : null,
    eigengap: e.eigengap.length ? e.eigengap[i] : null,
  }));
}

/**
 * T̄ = rownormalise((1/B) Σ_b T^(b)) of unit-normalised template rows (docs/method.md §1 step 1).
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
// The photo pipeline (PhotoSession, runPipeline, clusterImages) is web/src/photo_session.js.

/**
 * What an aborted call rejects with: the signal's reason when it is an Error (AbortController's
 * default reason is an AbortError DOMException), else an AbortError DOMException.
 * @param {AbortSignal | undefined} signal @param {string} what
 */
export function abortError(signal, what) {
  if (signal?.reason instanceof Error) return signal.reason;
  return new DOMException(`${what} was aborted`, 'AbortError');
}
