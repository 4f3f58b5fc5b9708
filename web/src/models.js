// Where a CLIP model comes from: `model` names a folder URL, a local folder (node), or a hub id
// such as "Xenova/clip-vit-base-patch32", resolved against a hub base URL the caller configures
// (option hubUrl, or $VLC_HUB_URL under node: this package names no host of its own).
//
// A folder may have either layout:
//   Transformers.js exports   onnx/vision_model{,_quantized,_fp16,...}.onnx, onnx/text_model….onnx,
//                             tokenizer.json and/or vocab.json + merges.txt at the root
//   flat (models/README.md)   vision_model.onnx, text_model.onnx, vocab.json, merges.txt
// and may carry a prebuilt vocabulary asset (nouns.json + nouns.f16.bin at the root). Downloads
// report bytes done/total, are checked against Content-Length and kept in a cache (Cache Storage
// in a browser, the cache folder under node: store.js), so a second run fetches nothing.

import { loadBytes, runtimeImport } from './encoder.js';
import { cacheStorageStore, isNode, openStore } from './store.js';

/** dtype option -> file-name suffix of the Transformers.js exports. */
export const DTYPE_SUFFIXES = Object.freeze({
  fp32: '', fp16: '_fp16', q8: '_quantized', quantized: '_quantized', int8: '_int8', uint8: '_uint8', q4: '_q4', bnb4: '_bnb4',
});

/** owner/name, as hub ids are spelled. */
const HUB_ID = /^[A-Za-z0-9][\w.-]*\/[A-Za-z0-9][\w.-]*$/;

/**
 * Whether a browser takes `model` for a hub id: owner/name with no scheme, no leading ./ or / and
 * no trailing slash (a folder beside the page is "models/clip/" or "./models/clip").
 * @param {string} model
 */
export function isHubId(model) {
  return HUB_ID.test(model.trim());
}

/** @param {unknown} e */
const message = (e) => (e instanceof Error ? e.message : String(e));

/**
 * @typedef {object} ModelSourceOptions
 * @property {string} [hubUrl] base URL of a model hub serving <id>/resolve/<revision>/<file>
 *   (default under node: $VLC_HUB_URL)
 * @property {string} [revision='main'] hub revision
 * @property {string} [dtype='fp32'] which ONNX variant: fp32, fp16, q8 (= quantized), int8, uint8, q4, bnb4
 * @property {boolean} [cache=true] keep downloads (false: fetch every time)
 * @property {string} [cacheDir] node: the cache folder (default $VLC_CACHE_DIR, $XDG_CACHE_HOME/vlcluster)
 * @property {typeof fetch} [fetch]
 * @property {AbortSignal} [signal]
 * @property {(p: {file: string, loaded: number, total: number}) => void} [onDownload] bytes of
 *   each file as they arrive (total 0 when the server sends no Content-Length)
 */

/**
 * Where the model named by `model` lives: {base, local, id}. base ends in '/' (a URL, or under
 * node a folder path when local).
 * @param {string | URL} model
 * @param {ModelSourceOptions} options
 */
export async function locateModel(model, options = {}) {
  const s = String(model).trim();
  if (!s) throw new Error('model: empty string; give a folder URL, a local folder or a hub id such as "Xenova/clip-vit-base-patch32"');
  const withSlash = (/** @type {string} */ x) => (x.endsWith('/') ? x : `${x}/`);
  if (model instanceof URL || /^[a-z][a-z0-9+.-]*:/i.test(s)) {
    if (isNode && s.startsWith('file:')) {
      const { fileURLToPath } = await runtimeImport('node:url');
      return { base: withSlash(fileURLToPath(s)), local: true, id: withSlash(s) };
    }
    return { base: withSlash(s), local: false, id: withSlash(s) };
  }
  const explicitPath = /^(\.{1,2}(\/|$)|\/|~)/.test(s) || s.endsWith('/');
  if (isNode) {
    const { stat } = await runtimeImport('node:fs/promises');
    const { resolve } = await runtimeImport('node:path');
    const isDir = await stat(s).then((st) => st.isDirectory(), () => false);
    if (isDir || explicitPath || !HUB_ID.test(s)) {
      if (!isDir) throw new Error(`model: no folder ${s} (give a model folder, a folder URL, or a hub id such as "Xenova/clip-vit-base-patch32")`);
      const abs = withSlash(resolve(s));
      return { base: abs, local: true, id: abs };
    }
  } else if (explicitPath || !HUB_ID.test(s)) {
    return { base: withSlash(s), local: false, id: withSlash(s) };
  }
  const hub = options.hubUrl ?? (isNode ? process.env.VLC_HUB_URL : undefined);
  if (!hub) {
    throw new Error(`model "${s}" is a hub id, but no hub is configured: set the hubUrl option${isNode ? ' (or the VLC_HUB_URL environment variable)' : ''} to the base URL of a hub that serves <id>/resolve/<revision>/<file>, or give the model as a folder URL or path`);
  }
  if (!/^https?:\/\//i.test(String(hub))) throw new Error(`hubUrl: expected an http(s) URL, got ${JSON.stringify(String(hub))}`);
  const base = `${String(hub).replace(/\/+$/, '')}/${s}/resolve/${options.revision ?? 'main'}/`;
  return { base, local: false, id: `${s}@${options.revision ?? 'main'}` };
}

/** @param {string | undefined} dtype */
export function dtypeSuffix(dtype) {
  const d = dtype ?? 'fp32';
  const suffix = /** @type {Record<string, string>} */ (DTYPE_SUFFIXES)[d];
  if (suffix === undefined) throw new Error(`dtype: unknown variant ${JSON.stringify(d)}; expected one of ${Object.keys(DTYPE_SUFFIXES).join(', ')}`);
  return suffix;
}

/**
 * Bytes of one response body, with progress; throws when fewer (or more) bytes arrive than its
 * Content-Length announced.
 * @param {Response} res @param {string} url @param {string} what
 * @param {ModelSourceOptions['onDownload']} onDownload
 */
async function readBody(res, url, what, onDownload) {
  // A compressed body's Content-Length counts the compressed bytes, not what the reader yields.
  const encoded = (res.headers.get('content-encoding') ?? 'identity') !== 'identity';
  const total = encoded ? 0 : Number(res.headers.get('content-length')) || 0;
  /** @type {Uint8Array[]} */
  const chunks = [];
  let loaded = 0;
  onDownload?.({ file: url, loaded, total });
  try {
    if (res.body && typeof res.body.getReader === 'function') {
      const reader = res.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        chunks.push(value);
        loaded += value.byteLength;
        onDownload?.({ file: url, loaded, total });
      }
    } else {
      const all = new Uint8Array(await res.arrayBuffer());
      chunks.push(all);
      loaded = all.byteLength;
      onDownload?.({ file: url, loaded, total });
    }
  } catch (e) {
    if (/** @type {any} */ (e)?.name === 'AbortError') throw e;
    throw new Error(`download of ${what} from ${url} broke off after ${loaded}${total ? ` of ${total}` : ''} bytes: ${message(e)}`);
  }
  if (total && loaded !== total) {
    throw new Error(`download of ${what} from ${url} is incomplete: ${loaded} of ${total} bytes (Content-Length); run again to retry`);
  }
  const out = new Uint8Array(loaded);
  let at = 0;
  for (const c of chunks) { out.set(c, at); at += c.byteLength; }
  return out;
}

/**
 * The first of `names` (paths under the model folder) that exists, as bytes, or null when none
 * does. Cached copies of any candidate are looked at before the network is asked about any.
 * @param {{base: string, local: boolean}} where
 * @param {string[]} names
 * @param {string} what
 * @param {ModelSourceOptions & {store: import('./store.js').ByteStore, tried: string[]}} ctx
 * @param {boolean} [cacheOnly] look in the cache only (for a local folder: the folder)
 * @returns {Promise<{name: string, url: string, bytes: Uint8Array} | null>}
 */
async function firstFile(where, names, what, ctx, cacheOnly = false) {
  if (where.local) {
    const { join } = await runtimeImport('node:path');
    const { stat } = await runtimeImport('node:fs/promises');
    for (const name of names) {
      const path = join(where.base, name);
      if (await stat(path).then((st) => st.isFile(), () => false)) return { name, url: path, bytes: await loadBytes(path, what) };
      ctx.tried.push(`${path} (no such file)`);
    }
    return null;
  }
  for (const name of names) {
    const url = where.base + name;
    const hit = await ctx.store.get(url);
    if (hit) {
      ctx.onDownload?.({ file: url, loaded: hit.byteLength, total: hit.byteLength });
      return { name, url, bytes: hit };
    }
  }
  if (cacheOnly) return null;
  const f = ctx.fetch ?? globalThis.fetch;
  if (typeof f !== 'function') throw new Error(`cannot fetch ${what} from ${where.base}: no fetch() here`);
  for (const name of names) {
    const url = where.base + name;
    let res;
    try {
      res = await f(url, ctx.signal ? { signal: ctx.signal } : undefined);
    } catch (e) {
      if (/** @type {any} */ (e)?.name === 'AbortError') throw e;
      throw new Error(`cannot fetch ${what} from ${url}: ${message(e)}`);
    }
    if (res.status === 404) {
      ctx.tried.push(`${url} (HTTP 404)`);
      await res.body?.cancel?.().catch(() => {});
      continue;
    }
    if (!res.ok) throw new Error(`cannot fetch ${what} from ${url}: HTTP ${res.status} ${res.statusText ?? ''}`.trim());
    if (/^text\/html/i.test(res.headers.get('content-type') ?? '')) {
      // A dev server's fallback page (Vite, SPA hosts answer every path with index.html): not the file.
      ctx.tried.push(`${url} (an HTML page, not the file)`);
      await res.body?.cancel?.().catch(() => {});
      continue;
    }
    const bytes = await readBody(res, url, what, ctx.onDownload);
    await ctx.store.put(url, bytes);
    return { name, url, bytes };
  }
  return null;
}

/**
 * @typedef {object} ResolvedModel
 * @property {string} id identity of the model and variant (keys the built vocabulary)
 * @property {string} base the folder (URL or path)
 * @property {Uint8Array} [vision] vision model bytes
 * @property {Uint8Array} [text] text model bytes
 * @property {Uint8Array} [vocab] vocab.json
 * @property {Uint8Array} [merges] merges.txt
 * @property {Uint8Array} [tokenizerJson] tokenizer.json (when there is no vocab.json + merges.txt)
 * @property {{json: Uint8Array, bin: Uint8Array} | null} vocabulary the prebuilt vocabulary asset, if the folder has one
 * @property {Record<string, string>} files which file was used for each part
 */

/**
 * Fetches (or reads, or takes from the cache) the model's files.
 * @param {string | URL} model
 * @param {ModelSourceOptions & {vision?: boolean, text?: boolean}} [options] vision / text:
 *   which towers are needed (default both)
 * @returns {Promise<ResolvedModel>}
 */
export async function resolveModel(model, options = {}) {
  const where = await locateModel(model, options);
  const suffix = dtypeSuffix(options.dtype);
  const store = where.local ? null : await openStore(options, 'models', () => cacheStorageStore('vlcluster-models'));
  /** @type {string[]} */
  const tried = [];
  const ctx = { ...options, store: /** @type {import('./store.js').ByteStore} */ (store), tried };
  const need = async (/** @type {string[]} */ names, /** @type {string} */ what) => {
    tried.length = 0;
    const got = await firstFile(where, names, what, ctx);
    if (!got) throw new Error(`model ${where.id}: no ${what}${options.dtype ? ` for dtype ${options.dtype}` : ''}; tried ${tried.join(', ')}`);
    return got;
  };
  const tower = (/** @type {string} */ name) => [`onnx/${name}${suffix}.onnx`, `${name}${suffix}.onnx`];
  /** @type {ResolvedModel} */
  const out = { id: `${where.id}${options.dtype && options.dtype !== 'fp32' ? `#${options.dtype}` : ''}`, base: where.base, vocabulary: null, files: {} };
  if (options.vision !== false) {
    const v = await need(tower('vision_model'), 'vision model');
    out.vision = v.bytes;
    out.files.vision = v.url;
  }
  if (options.text !== false) {
    const t = await need(tower('text_model'), 'text model');
    out.text = t.bytes;
    out.files.text = t.url;
    const { tokenizerFrom, ...tokenizer } = await tokenizerFiles(where, ctx);
    Object.assign(out, tokenizer);
    out.files.tokenizer = tokenizerFrom;
  }
  return out;
}

/**
 * vocab.json + merges.txt, else tokenizer.json; whichever is cached wins before the network is
 * asked about either (a cache hit costs no request).
 * @param {{base: string, local: boolean, id: string}} where
 * @param {Parameters<typeof firstFile>[3]} ctx
 */
async function tokenizerFiles(where, ctx) {
  ctx.tried.length = 0;
  for (const cacheOnly of where.local ? [false] : [true, false]) {
    const vocab = await firstFile(where, ['vocab.json'], 'vocab.json', ctx, cacheOnly);
    const merges = vocab && (await firstFile(where, ['merges.txt'], 'merges.txt', ctx, cacheOnly));
    if (vocab && merges) return { vocab: vocab.bytes, merges: merges.bytes, tokenizerFrom: `${vocab.url} + ${merges.url}` };
    const tj = await firstFile(where, ['tokenizer.json'], 'tokenizer.json', ctx, cacheOnly);
    if (tj) return { tokenizerJson: tj.bytes, tokenizerFrom: tj.url };
  }
  throw new Error(`model ${where.id}: no tokenizer; tried ${ctx.tried.join(', ')}`);
}

/**
 * The folder's prebuilt vocabulary asset (nouns.json + nouns.f16.bin), or null when it has none.
 * @param {string | URL} model
 * @param {ModelSourceOptions} [options]
 * @returns {Promise<{json: Uint8Array, bin: Uint8Array} | null>}
 */
export async function findVocabularyAsset(model, options = {}) {
  const where = await locateModel(model, options);
  const store = where.local ? null : await openStore(options, 'models', () => cacheStorageStore('vlcluster-models'));
  const ctx = { ...options, store: /** @type {import('./store.js').ByteStore} */ (store), tried: [] };
  const json = await firstFile(where, ['nouns.json'], 'vocabulary nouns.json', ctx);
  const bin = json && (await firstFile(where, ['nouns.f16.bin'], 'vocabulary nouns.f16.bin', ctx));
  return json && bin ? { json: json.bytes, bin: bin.bytes } : null;
}
