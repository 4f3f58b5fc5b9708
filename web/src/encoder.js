// CLIP encoder on onnxruntime: image tensors and texts -> L2-normalised embeddings, on the device.
//
// Models are an ONNX export of CLIP (ViT-B/32 by default; see models/README.md):
//   vision_model.onnx  pixel_values float32 [batch,3,224,224] -> image_embeds [batch,dim]
//   text_model.onnx    input_ids int64 [batch,77] (+ attention_mask int64 [batch,77] if the model
//                      takes it) -> text_embeds [batch,dim]
// Execution providers are tried in order (default WebGPU, then WASM); the first with which both
// models load and run a warm-up batch wins.

import { ClipTokenizer, CONTEXT_LENGTH } from './tokenizer.js';

export const VISION_INPUT = 'pixel_values';
export const VISION_OUTPUT = 'image_embeds';
export const TEXT_INPUT = 'input_ids';
export const TEXT_MASK = 'attention_mask';
export const TEXT_OUTPUT = 'text_embeds';
export const DEFAULT_EXECUTION_PROVIDERS = Object.freeze(['webgpu', 'wasm']);

/**
 * @typedef {string|URL|ArrayBuffer|ArrayBufferView} Source
 *   a URL (fetched; under node also a file path or file: URL) or the file's bytes
 */

/**
 * @typedef {object} EncoderLoadOptions
 * @property {Source} [vision] vision_model.onnx
 * @property {Source} [text] text_model.onnx (needs vocab + merges, or tokenizer)
 * @property {Source|Record<string, number>} [vocab] vocab.json (or its parsed object)
 * @property {Source} [merges] merges.txt
 * @property {Source} [tokenizerJson] tokenizer.json (HuggingFace), instead of vocab + merges
 * @property {ClipTokenizer} [tokenizer] instead of vocab + merges
 * @property {string[]} [executionProviders] tried in order; default ['webgpu', 'wasm']
 * @property {any} [ort] the onnxruntime module to use (default: the bare name imported at run time,
 *   importOrt); tests
 *   pass onnxruntime-node or onnxruntime-web explicitly
 * @property {number} [numThreads] sets ort.env.wasm.numThreads (a global of the ort module)
 * @property {object} [sessionOptions] extra InferenceSession options (executionProviders is set here)
 * @property {typeof fetch} [fetch] fetch implementation for URL sources (default: globalThis.fetch)
 */

/**
 * @typedef {object} BackendAttempt
 * @property {string} executionProvider
 * @property {string} error why it could not be used
 */

const isNode = typeof process !== 'undefined' && !!(process.versions && process.versions.node) &&
  typeof window === 'undefined';

/** @param {unknown} e */
const message = (e) => (e instanceof Error ? e.message : String(e));

/**
 * Bytes of a model or tokenizer file.
 * @param {Source} src
 * @param {string} what e.g. "vision model"
 * @param {typeof fetch|undefined} fetchImpl
 * @returns {Promise<Uint8Array>}
 */
export async function loadBytes(src, what, fetchImpl) {
  if (src instanceof Uint8Array) return src;
  if (src instanceof ArrayBuffer) return new Uint8Array(src);
  if (ArrayBuffer.isView(src)) return new Uint8Array(src.buffer, src.byteOffset, src.byteLength);
  if (typeof src === 'string' || src instanceof URL) {
    const url = String(src);
    if (isNode && !/^(https?|data|blob):/i.test(url)) {
      const fsModule = 'node:fs/promises';
      const urlModule = 'node:url';
      const { readFile } = await runtimeImport(fsModule);
      const { fileURLToPath } = await runtimeImport(urlModule);
      const path = url.startsWith('file:') ? fileURLToPath(url) : url;
      try {
        return new Uint8Array(await readFile(path));
      } catch (e) {
        const code = /** @type {any} */ (e).code;
        throw new Error(`cannot read ${what} from ${url}: ${code === 'ENOENT' ? 'no such file' : message(e)}`);
      }
    }
    const f = fetchImpl ?? globalThis.fetch;
    if (typeof f !== 'function') throw new Error(`cannot fetch ${what} from ${url}: no fetch() here`);
    let res;
    try {
      res = await f(url);
    } catch (e) {
      throw new Error(`cannot fetch ${what} from ${url}: ${message(e)}`);
    }
    if (!res.ok) throw new Error(`cannot fetch ${what} from ${url}: HTTP ${res.status} ${res.statusText ?? ''}`.trim());
    return new Uint8Array(await res.arrayBuffer());
  }
  throw new TypeError(`${what}: expected a URL string, ArrayBuffer or Uint8Array, got ${src === null ? 'null' : typeof src}`);
}

/**
 * @param {any} session
 * @param {string} name
 * @returns {{type?: string, shape?: Array<number|string>}|undefined}
 */
function inputMeta(session, name) {
  const meta = session.inputMetadata;
  if (!meta) return undefined;
  if (Array.isArray(meta)) return meta.find((m) => m && m.name === name);
  return meta[name];
}

/**
 * @param {any} session
 * @param {string} what
 * @param {string[]} inputs
 * @param {string[]} outputs
 */
function requireNames(session, what, inputs, outputs) {
  for (const name of inputs) {
    if (!session.inputNames.includes(name)) {
      throw new ModelFormatError(`${what} has no input "${name}" (found: ${session.inputNames.join(', ') || 'none'})`);
    }
  }
  for (const name of outputs) {
    if (!session.outputNames.includes(name)) {
      throw new ModelFormatError(`${what} has no output "${name}" (found: ${session.outputNames.join(', ') || 'none'})`);
    }
  }
}

/**
 * An import() that bundlers leave alone: the specifier is only known at run time (a URL, or a
 * package the caller chose), and a bundler that tried to resolve it would fail or bundle a copy.
 * @param {string} specifier
 */
export function runtimeImport(specifier) {
  return import(/* @vite-ignore */ /* webpackIgnore: true */ specifier);
}

/**
 * onnxruntime-web when the caller gave no `ort`. The name is in a variable so that bundlers do not
 * add a copy of ort (tens of MB with its .wasm files) to every app that imports this package: an
 * app that encodes passes `ort` (or clusterImages' `ortUrl`); under node the bare name resolves.
 */
const ORT_PACKAGE = 'onnxruntime-web';
async function importOrt() {
  try {
    return await runtimeImport(ORT_PACKAGE);
  } catch (e) {
    throw new Error(`Encoder.load: no \`ort\` given, and import('${ORT_PACKAGE}') failed (${message(e)}): pass ort (import * as ort from 'onnxruntime-web'), or clusterImages' ortUrl (the URL of onnxruntime-web's dist/ort.min.mjs)`);
  }
}

/** A model that does not look like the expected CLIP export (not an execution-provider problem). */
export class ModelFormatError extends Error {
  /** @param {string} msg */
  constructor(msg) {
    super(msg);
    this.name = 'ModelFormatError';
  }
}

/**
 * Normalises each row in place to unit L2 norm (rows of norm 0 stay 0).
 * @param {Float32Array} data
 * @param {number} dim
 * @returns {Float32Array}
 */
export function l2NormalizeRows(data, dim) {
  for (let r = 0; r < data.length; r += dim) {
    let s = 0;
    for (let i = r; i < r + dim; i++) s += data[i] * data[i];
    if (s > 0) {
      const inv = 1 / Math.sqrt(s);
      for (let i = r; i < r + dim; i++) data[i] *= inv;
    }
  }
  return data;
}

/**
 * @param {any} tensor an ort output tensor
 * @returns {Float32Array}
 */
function floatData(tensor) {
  const d = tensor.data;
  return d instanceof Float32Array ? d : Float32Array.from(d, Number);
}

export class Encoder {
  /**
   * Use `Encoder.load`.
   * @param {object} parts
   * @param {any} parts.ort
   * @param {any} parts.vision
   * @param {any} parts.text
   * @param {ClipTokenizer|null} parts.tokenizer
   * @param {string} parts.backend
   * @param {BackendAttempt[]} parts.attempts
   */
  constructor({ ort, vision, text, tokenizer, backend, attempts }) {
    /** @private */ this.ort = ort;
    /** @private */ this.vision = vision;
    /** @private */ this.text = text;
    /** @type {ClipTokenizer|null} */
    this.tokenizer = tokenizer;
    /** Execution provider in use: 'webgpu' or 'wasm' with onnxruntime-web (or e.g. 'cpu' with onnxruntime-node). */
    this.backend = backend;
    /** Execution providers tried before `backend`, and why each could not be used. */
    this.fallbacks = attempts;
    /** Why the first execution provider was not used (null when it was). */
    this.fallbackReason = attempts.length ? `${attempts[0].executionProvider}: ${attempts[0].error}` : null;
    /** Embedding dimension (512 for ViT-B/32). */
    this.dim = 0;
    /** Side of the square image the vision model takes (224 for ViT-B/32). */
    this.imageSize = 224;
    /** Context length of the text model (77). */
    this.contextLength = CONTEXT_LENGTH;
    /** @private */ this.textNeedsMask = false;
    /**
     * Whether the text model takes sequences shorter than contextLength (a symbolic
     * sequence_length, as in the Transformers.js exports). CLIP's text tower pools at the
     * end-of-text token behind a causal mask, so padding after it changes nothing: a batch can be
     * cut to its longest tokenised text, which makes encoding short prompts several times faster.
     */
    this.textTakesAnyLength = false;
    /** @private */ this.textIdType = 'int64';
  }

  /**
   * Loads the models (and tokenizer), picks an execution provider, checks the models' inputs and
   * outputs and runs one warm-up batch through each.
   * @param {EncoderLoadOptions} options
   * @returns {Promise<Encoder>}
   */
  static async load(options) {
    const { vision, text, vocab, merges, sessionOptions = {}, fetch: fetchImpl } = options;
    if (!vision && !text) throw new Error('Encoder.load needs a vision model, a text model, or both');
    const ort = options.ort ?? (await importOrt());
    if (!ort || !ort.InferenceSession || !ort.Tensor) throw new Error('Encoder.load: `ort` is not an onnxruntime module');
    if (options.numThreads !== undefined && ort.env && ort.env.wasm) ort.env.wasm.numThreads = options.numThreads;
    const eps = options.executionProviders ?? DEFAULT_EXECUTION_PROVIDERS;
    if (!eps.length) throw new Error('Encoder.load: executionProviders is empty');

    let tokenizer = options.tokenizer ?? null;
    if (text && !tokenizer && options.tokenizerJson && !(vocab && merges)) {
      tokenizer = ClipTokenizer.fromTokenizerJson(new TextDecoder().decode(await loadBytes(options.tokenizerJson, 'tokenizer.json', fetchImpl)));
    }
    if (text && !tokenizer) {
      if (!vocab || !merges) throw new Error('a text model needs the tokenizer files: vocab and merges, tokenizerJson, or tokenizer');
      const vocabText = typeof vocab === 'object' && !(vocab instanceof URL) && !(vocab instanceof ArrayBuffer) && !ArrayBuffer.isView(vocab)
        ? JSON.stringify(vocab)
        : new TextDecoder().decode(await loadBytes(/** @type {Source} */ (vocab), 'vocab.json', fetchImpl));
      const mergesText = new TextDecoder().decode(await loadBytes(merges, 'merges.txt', fetchImpl));
      tokenizer = ClipTokenizer.fromText(vocabText, mergesText);
    }
    const visionBytes = vision ? await loadBytes(vision, 'vision model', fetchImpl) : null;
    const textBytes = text ? await loadBytes(text, 'text model', fetchImpl) : null;

    /** @type {BackendAttempt[]} */
    const attempts = [];
    for (const ep of eps) {
      /** @type {any[]} */
      const opened = [];
      try {
        const create = async (/** @type {Uint8Array} */ bytes, /** @type {string} */ what) => {
          try {
            const s = await ort.InferenceSession.create(bytes, { ...sessionOptions, executionProviders: [ep] });
            opened.push(s);
            return s;
          } catch (e) {
            throw new Error(`${what}: ${message(e)}`);
          }
        };
        const vs = visionBytes ? await create(visionBytes, 'vision model') : null;
        if (vs) requireNames(vs, 'vision model', [VISION_INPUT], [VISION_OUTPUT]);
        const ts = textBytes ? await create(textBytes, 'text model') : null;
        if (ts) requireNames(ts, 'text model', [TEXT_INPUT], [TEXT_OUTPUT]);
        const enc = new Encoder({ ort, vision: vs, text: ts, tokenizer, backend: ep, attempts });
        enc.configure();
        await enc.warmUp();
        return enc;
      } catch (e) {
        await Promise.all(opened.map((s) => Promise.resolve(s.release?.()).catch(() => {})));
        if (e instanceof ModelFormatError) throw e;
        attempts.push({ executionProvider: ep, error: message(e) });
      }
    }
    throw new Error(`could not run the CLIP models with any execution provider: ${
      attempts.map((a) => `${a.executionProvider}: ${a.error}`).join('; ')}`);
  }

  /** Reads input types and shapes from the sessions' metadata, where the runtime gives it. @private */
  configure() {
    if (this.vision) {
      const m = inputMeta(this.vision, VISION_INPUT);
      const side = m && Array.isArray(m.shape) ? m.shape[3] : undefined;
      if (typeof side === 'number' && side > 0) this.imageSize = side;
      if (m && m.type && m.type !== 'float32') {
        throw new ModelFormatError(`vision model input "${VISION_INPUT}" is ${m.type}, expected float32`);
      }
    }
    if (this.text) {
      this.textNeedsMask = this.text.inputNames.includes(TEXT_MASK);
      const m = inputMeta(this.text, TEXT_INPUT);
      if (m && m.type === 'int32') this.textIdType = 'int32';
      const len = m && Array.isArray(m.shape) ? m.shape[1] : undefined;
      if (typeof len === 'number' && len > 0) this.contextLength = len;
      this.textTakesAnyLength = typeof len === 'string';
    }
  }

  /** One batch through each model: proves the execution provider runs them, and learns `dim`. @private */
  async warmUp() {
    let vdim = 0;
    let tdim = 0;
    if (this.vision) {
      const s = this.imageSize;
      vdim = (await this.runVision(new Float32Array(3 * s * s), 1)).dim;
    }
    if (this.text) tdim = (await this.runText([''])).dim;
    if (vdim && tdim && vdim !== tdim) {
      throw new ModelFormatError(`vision and text embeddings differ in size (${vdim} vs ${tdim})`);
    }
    this.dim = vdim || tdim;
  }

  /**
   * @private
   * @param {Float32Array} pixels n x 3 x S x S
   * @param {number} n
   * @returns {Promise<{data: Float32Array, dim: number}>}
   */
  async runVision(pixels, n) {
    const s = this.imageSize;
    const input = new this.ort.Tensor('float32', pixels, [n, 3, s, s]);
    const out = await this.vision.run({ [VISION_INPUT]: input });
    const t = out[VISION_OUTPUT];
    try {
      if (!t || !t.dims || t.dims.length !== 2 || t.dims[0] !== n) {
        throw new ModelFormatError(`vision model output "${VISION_OUTPUT}" has shape [${t && t.dims}], expected [${n}, dim]`);
      }
      return { data: Float32Array.from(floatData(t)), dim: t.dims[1] };
    } finally {
      for (const v of Object.values(out)) /** @type {any} */ (v).dispose?.();
    }
  }

  /**
   * @private
   * @param {string[]} texts
   * @param {boolean} [trim] cut the batch to its longest tokenised text (see textTakesAnyLength)
   * @returns {Promise<{data: Float32Array, dim: number}>}
   */
  async runText(texts, trim = false) {
    if (!this.tokenizer) throw new Error('no tokenizer');
    const n = texts.length;
    let L = this.contextLength;
    let tok = this.tokenizer.tokenize(texts, { contextLength: L, dtype: 'int32' });
    if (trim) {
      const longest = Math.max(2, ...tok.lengths);
      if (longest < L) {
        L = longest;
        tok = this.tokenizer.tokenize(texts, { contextLength: L, dtype: 'int32' });
      }
    }
    /** @param {Int32Array} v @param {string} type */
    const tensor = (v, type) => (type === 'int32'
      ? new this.ort.Tensor('int32', v, [n, L])
      : new this.ort.Tensor('int64', BigInt64Array.from(v, (x) => BigInt(x)), [n, L]));
    /** @type {Record<string, any>} */
    const feeds = { [TEXT_INPUT]: tensor(/** @type {Int32Array} */ (tok.inputIds), this.textIdType) };
    if (this.textNeedsMask) {
      const mm = inputMeta(this.text, TEXT_MASK);
      feeds[TEXT_MASK] = tensor(/** @type {Int32Array} */ (tok.attentionMask), mm && mm.type === 'int32' ? 'int32' : 'int64');
    }
    const out = await this.text.run(feeds);
    const t = out[TEXT_OUTPUT];
    try {
      if (!t || !t.dims || t.dims.length !== 2 || t.dims[0] !== n) {
        throw new ModelFormatError(`text model output "${TEXT_OUTPUT}" has shape [${t && t.dims}], expected [${n}, dim]`);
      }
      return { data: Float32Array.from(floatData(t)), dim: t.dims[1] };
    } finally {
      for (const v of Object.values(out)) /** @type {any} */ (v).dispose?.();
    }
  }

  /**
   * Image embeddings.
   * @param {Float32Array[]|Float32Array} tensors `preprocessImage` results (each 3 x 224 x 224),
   *   or one Float32Array holding n of them back to back
   * @param {{batchSize?: number, onProgress?: (p: {done: number, total: number}) => void}} [options]
   * @returns {Promise<Float32Array>} row-major [n x dim], each row of unit L2 norm
   */
  async encodeImages(tensors, options = {}) {
    if (!this.vision) throw new Error('no vision model loaded');
    const batchSize = Math.max(1, Math.floor(options.batchSize ?? 8));
    const per = 3 * this.imageSize * this.imageSize;
    /** @type {Float32Array[]} */
    let list;
    if (tensors instanceof Float32Array) {
      if (tensors.length % per !== 0) throw new Error(`image tensor length ${tensors.length} is not a multiple of 3x${this.imageSize}x${this.imageSize}`);
      list = [];
      for (let i = 0; i < tensors.length; i += per) list.push(tensors.subarray(i, i + per));
    } else {
      list = Array.from(tensors);
    }
    list.forEach((t, i) => {
      if (!(t instanceof Float32Array) || t.length !== per) {
        throw new Error(`image ${i}: expected a Float32Array of 3x${this.imageSize}x${this.imageSize} = ${per} values, got ${t && t.length}`);
      }
    });
    const total = list.length;
    const result = new Float32Array(total * this.dim);
    for (let start = 0; start < total; start += batchSize) {
      const n = Math.min(batchSize, total - start);
      const pixels = new Float32Array(n * per);
      for (let i = 0; i < n; i++) pixels.set(list[start + i], i * per);
      const { data, dim } = await this.runVision(pixels, n);
      if (dim !== this.dim) throw new ModelFormatError(`vision model returned ${dim} values per image, expected ${this.dim}`);
      result.set(l2NormalizeRows(data, dim), start * dim);
      options.onProgress?.({ done: start + n, total });
    }
    return result;
  }

  /**
   * Text embeddings.
   * @param {string[]} texts
   * @param {{batchSize?: number, trimPadding?: boolean, signal?: AbortSignal,
   *   onProgress?: (p: {done: number, total: number}) => void}} [options] trimPadding: cut each
   *   batch to its longest tokenised text (default: whenever the model takes any length)
   * @returns {Promise<Float32Array>} row-major [n x dim], each row of unit L2 norm
   */
  async encodeTexts(texts, options = {}) {
    if (!this.text) throw new Error('no text model loaded');
    const batchSize = Math.max(1, Math.floor(options.batchSize ?? 32));
    const trim = (options.trimPadding ?? true) && this.textTakesAnyLength;
    const list = Array.from(texts, String);
    const result = new Float32Array(list.length * this.dim);
    for (let start = 0; start < list.length; start += batchSize) {
      if (options.signal?.aborted) throw options.signal.reason ?? new DOMException('encodeTexts was aborted', 'AbortError');
      const batch = list.slice(start, start + batchSize);
      const { data, dim } = await this.runText(batch, trim);
      if (dim !== this.dim) throw new ModelFormatError(`text model returned ${dim} values per text, expected ${this.dim}`);
      result.set(l2NormalizeRows(data, dim), start * dim);
      options.onProgress?.({ done: start + batch.length, total: list.length });
    }
    return result;
  }

  /** Frees the sessions (GPU buffers with WebGPU). The encoder is unusable afterwards. */
  async dispose() {
    await Promise.all([this.vision, this.text].filter(Boolean).map((s) => s.release?.()));
    this.vision = null;
    this.text = null;
  }
}
