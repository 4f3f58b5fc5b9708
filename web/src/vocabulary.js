// The noun vocabulary that clusters are filtered and named on (docs/method.md §1 step 1): for every
// noun, the CLIP text embeddings under the 7 templates, each L2-normalised, averaged, and
// L2-normalised again (T̄). Stored as an asset of two files,
//   nouns.json     {format, model, dim, count, dtype, templates, words, depths, source}
//   nouns.f16.bin  L×d float16, little-endian, row-major
// A model folder may ship one; otherwise it is built on the user's device on first use from the
// noun list this package ships (models/vocab/wordnet_nouns.tsv) and kept (IndexedDB in a browser,
// the cache folder under node). models/build_text_assets.mjs builds the same asset with this code.

import { loadBytes, l2NormalizeRows } from './encoder.js';
import { hashKey, indexedDbStore, openStore } from './store.js';

/** docs/method.md §0: the B = 7 prompt templates (TAC's). `{}` is replaced by the noun. */
export const TEMPLATES = Object.freeze([
  'itap of a {}.',
  'a bad photo of the {}.',
  'a origami {}.',
  'a photo of the large {}.',
  'a {} in a video game.',
  'art of the {}.',
  'a photo of the small {}.',
]);

// ---------------------------------------------------------------------------------------------
// The vocabulary asset (models/build_text_assets.mjs): nouns.json + nouns.f16.bin

/** IEEE half -> float. */
export function halfToFloat(/** @type {number} */ h) {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

/** float -> IEEE half bits (round to nearest even). */
export function floatToHalf(/** @type {number} */ v) {
  const f32 = new Float32Array(1);
  const u32 = new Uint32Array(f32.buffer);
  f32[0] = v;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >> shift;
    const rem = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rem > mid || (rem === mid && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && half & 1)) half++;
  return sign | half;
}

/**
 * Loads a vocabulary asset: {words, depths?, dim, embeddings: Float32Array L×d (unit rows), modelId}.
 * @param {{json?: import('./encoder.js').Source, bin?: import('./encoder.js').Source, words?: string[], embeddings?: Float32Array, dim?: number}} vocabulary
 * @param {typeof fetch} [fetchImpl]
 */
export async function loadVocabulary(vocabulary, fetchImpl) {
  if (vocabulary.embeddings && vocabulary.words) {
    const dim = vocabulary.dim ?? vocabulary.embeddings.length / vocabulary.words.length;
    return { words: vocabulary.words, depths: vocabulary.depths, dim, embeddings: vocabulary.embeddings, meta: {} };
  }
  if (!vocabulary.json || !vocabulary.bin) throw new Error('vocabulary: give {json, bin} (nouns.json, nouns.f16.bin) or {words, embeddings}');
  let meta;
  try {
    meta = JSON.parse(new TextDecoder().decode(await loadBytes(vocabulary.json, 'vocabulary nouns.json', fetchImpl)));
  } catch (e) {
    if (e instanceof SyntaxError) throw new Error(`vocabulary nouns.json ${String(vocabulary.json)} is not JSON: ${e.message}`);
    throw e;
  }
  const bytes = await loadBytes(vocabulary.bin, 'vocabulary embeddings', fetchImpl);
  const { words, dim, dtype = 'float16' } = meta;
  if (!Array.isArray(words) || !Number.isInteger(dim)) throw new Error('vocabulary nouns.json needs "words" (array) and "dim" (integer)');
  const n = words.length * dim;
  const embeddings = new Float32Array(n);
  if (dtype === 'float16') {
    if (bytes.byteLength !== 2 * n) throw new Error(`vocabulary embeddings: ${bytes.byteLength} bytes, expected ${2 * n} (${words.length} words × ${dim} float16)`);
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i < n; i++) embeddings[i] = halfToFloat(dv.getUint16(2 * i, true));
  } else if (dtype === 'float32') {
    if (bytes.byteLength !== 4 * n) throw new Error(`vocabulary embeddings: ${bytes.byteLength} bytes, expected ${4 * n}`);
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i < n; i++) embeddings[i] = dv.getFloat32(4 * i, true);
  } else {
    throw new Error(`vocabulary: unknown dtype "${dtype}"`);
  }
  const { depths } = meta;  // WordNet depths (-1 = unknown), when built from a TSV with a depth column
  if (depths !== undefined && (!Array.isArray(depths) || depths.length !== words.length || !depths.every(Number.isInteger))) {
    throw new Error(`vocabulary nouns.json: "depths" must be ${words.length} integers, one per word`);
  }
  return { words, depths, dim, embeddings: l2NormalizeRows(embeddings, dim), meta };
}


// ---------------------------------------------------------------------------------------------
// Building the asset

/** The noun list this package ships: WordNet nouns with their depths. */
export function nounListUrl() {
  return new URL('../../models/vocab/wordnet_nouns.tsv', import.meta.url);
}

/** @typedef {{word: string, depth: number}} NounRow */

/**
 * Words (and depths, -1 when unknown) from a plain list, one per line, or a TSV whose header is
 * "word<TAB>depth..." (models/vocab/wordnet_nouns.tsv).
 * @param {string} text
 * @returns {NounRow[]}
 */
export function parseWordList(text) {
  const lines = text.split('\n').map((l) => l.replace(/\r$/, '')).filter((l) => l.trim());
  const tsv = lines.length > 0 && /^word\t/.test(lines[0]);
  const rows = (tsv ? lines.slice(1) : lines).map((l) => {
    const [word, depth] = l.split('\t');
    return { word: word.trim(), depth: depth !== undefined && depth !== '' ? Number(depth) : -1 };
  });
  return rows.filter((r) => r.word);
}

/**
 * @typedef {object} NounSelection
 * @property {number} [limit] keep this many words spread evenly over the list (0: all)
 * @property {number} [minDepth] drop words of known WordNet depth below this
 * @property {boolean} [lettersOnly] drop words with digits or punctuation
 * @property {string[]} [include] words added after the selection
 */

/**
 * A subset of the noun list (small vocabularies for tests and the tiny model).
 * @param {NounRow[]} rows
 * @param {NounSelection} [sel]
 */
export function selectWords(rows, sel = {}) {
  const all = new Map(rows.map((r) => [r.word, r]));
  let out = rows;
  if ((sel.minDepth ?? -1) >= 0) out = out.filter((r) => r.depth < 0 || r.depth >= /** @type {number} */ (sel.minDepth));
  if (sel.lettersOnly) out = out.filter((r) => /^[a-z]+( [a-z]+)*$/.test(r.word));
  const limit = sel.limit ?? 0;
  if (limit > 0 && out.length > limit) {
    const step = out.length / limit;
    const picked = out;
    out = Array.from({ length: limit }, (_, i) => picked[Math.floor(i * step)]);
  }
  const seen = new Set(out.map((r) => r.word));
  out = out.slice();
  for (const w of sel.include ?? []) {
    if (!seen.has(w)) out.push(all.get(w) ?? { word: w, depth: -1 });
    seen.add(w);
  }
  return out;
}

/**
 * @typedef {object} BuildOptions
 * @property {readonly string[]} [templates] default TEMPLATES
 * @property {number} [batchSize=256] texts per text-model run
 * @property {AbortSignal} [signal] stops between batches
 * @property {(p: {done: number, total: number}) => void} [onProgress] texts encoded of all
 * @property {string} [model] the model's name, recorded in nouns.json
 * @property {string} [source] the noun list's name, recorded in nouns.json
 */

/**
 * Builds the vocabulary asset with the encoder's text tower: every noun under every template.
 * Words are encoded shortest first, so that each batch's texts have similar token counts and a
 * text model that takes any length (Encoder.textTakesAnyLength) runs on little padding.
 * @param {import('./encoder.js').Encoder} encoder
 * @param {NounRow[]} rows
 * @param {BuildOptions} [options]
 * @returns {Promise<{json: Uint8Array, bin: Uint8Array}>} nouns.json and nouns.f16.bin
 */
export async function buildVocabularyAsset(encoder, rows, options = {}) {
  const templates = options.templates ?? TEMPLATES;
  const words = rows.map((r) => r.word);
  const order = words.map((_, i) => i).sort((a, b) => words[a].length - words[b].length || a - b);
  const d = encoder.dim;
  const l = words.length;
  const total = l * templates.length;
  const sum = new Float64Array(l * d);
  for (const [ti, t] of templates.entries()) {
    const e = await encoder.encodeTexts(order.map((i) => t.replace('{}', words[i])), {
      batchSize: options.batchSize ?? 256,
      signal: options.signal,
      onProgress: ({ done }) => options.onProgress?.({ done: ti * l + done, total }),
    });
    order.forEach((wi, row) => {
      for (let c = 0; c < d; c++) sum[wi * d + c] += e[row * d + c];  // unit rows
    });
  }
  const half = new Uint16Array(l * d);
  for (let i = 0; i < l; i++) {
    let s = 0;
    for (let c = 0; c < d; c++) s += sum[i * d + c] ** 2;
    const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
    for (let c = 0; c < d; c++) half[i * d + c] = floatToHalf(sum[i * d + c] * inv);
  }
  const meta = {
    format: 'vlcluster-vocabulary-1',
    model: options.model ?? '',
    dim: d,
    count: l,
    dtype: 'float16',
    templates,
    source: options.source ?? '',
    words,
    depths: rows.map((r) => r.depth),
  };
  // Uint16Array's bytes are little-endian on every platform browsers and node run on.
  return { json: new TextEncoder().encode(`${JSON.stringify(meta)}\n`), bin: new Uint8Array(half.buffer) };
}

/**
 * @typedef {object} DeviceVocabularyOptions
 * @property {import('./encoder.js').Source | string} [nounList] the noun list (default: the packaged wordnet_nouns.tsv)
 * @property {NounSelection} [nounSelection] a subset of it
 * @property {readonly string[]} [templates]
 * @property {number} [batchSize]
 * @property {boolean} [cache] false: build every time, keep nothing
 * @property {string} [cacheDir] node: the cache folder
 * @property {AbortSignal} [signal]
 * @property {(p: {stage: string, done: number, total: number}) => void} [onProgress]
 * @property {typeof fetch} [fetch]
 * @property {() => Promise<{json: Uint8Array, bin: Uint8Array} | null>} [prebuilt] the model's own
 *   asset, if it ships one: asked after the cache (a cache hit costs no request) and before building
 */

/**
 * The vocabulary of a model: taken from the device's cache when this model (its identity and
 * text-model variant) built it before over the same nouns and templates; else the model's own
 * asset (`prebuilt`); else built now and kept.
 * @param {import('./encoder.js').Encoder} encoder with the model's text tower
 * @param {string} modelId identity of the model and its text-model variant
 * @param {DeviceVocabularyOptions} [options]
 * @returns {Promise<{json: Uint8Array, bin: Uint8Array, cached: boolean}>}
 */
export async function deviceVocabularyAsset(encoder, modelId, options = {}) {
  const listSource = options.nounList ?? nounListUrl();
  const templates = options.templates ?? TEMPLATES;
  // Keyed by where the list is, not by its words, so that a cache hit (or a model's own asset)
  // needs no noun list at all: a page that serves none still runs with a prebuilt vocabulary.
  const listId = typeof listSource === 'string' || listSource instanceof URL ? String(listSource) : hashKey(new TextDecoder().decode(listSource instanceof ArrayBuffer ? new Uint8Array(listSource) : /** @type {ArrayBufferView} */ (listSource)));
  const key = `vocabulary-1\u0000${modelId}\u0000${hashKey(`${listId}\u0000${JSON.stringify(options.nounSelection ?? {})}\u0000${templates.join('\n')}`)}`;
  const store = await openStore(options, 'vocabulary', () => indexedDbStore('vlcluster-vocabulary'));
  const [json, bin] = await Promise.all([store.get(`${key}#json`), store.get(`${key}#bin`)]);
  if (json && bin) return { json, bin, cached: true };
  const shipped = await options.prebuilt?.();
  if (shipped) return { ...shipped, cached: false };
  const rows = selectWords(parseWordList(new TextDecoder().decode(
    await loadBytes(/** @type {import('./encoder.js').Source} */ (listSource), 'noun list', options.fetch))), options.nounSelection);
  if (!rows.length) throw new Error(`noun list ${String(listSource)} has no words`);
  const total = rows.length * templates.length;
  options.onProgress?.({ stage: 'vocabulary', done: 0, total });
  const asset = await buildVocabularyAsset(encoder, rows, {
    templates,
    batchSize: options.batchSize,
    signal: options.signal,
    onProgress: ({ done }) => options.onProgress?.({ stage: 'vocabulary', done, total }),
    model: modelId,
    source: String(listSource).split('/').pop(),
  });
  await store.put(`${key}#json`, asset.json);
  await store.put(`${key}#bin`, asset.bin);
  return { ...asset, cached: false };
}
