// CLIP's byte-level BPE tokenizer, as the reference implementations do it
// (openai/CLIP simple_tokenizer.py + clip.tokenize, HuggingFace CLIPTokenizer):
//
//   1. clean-up: Unicode NFC, whitespace runs -> one space, trim, lower-case
//      (the reference also runs ftfy.fix_text and html.unescape; those repair mojibake and
//      HTML entities and are not reproduced here: for ordinary text the result is the same);
//   2. pre-tokenisation with CLIP's regex (case-insensitive);
//   3. each piece's UTF-8 bytes -> printable characters (GPT-2 byte-to-unicode table);
//   4. BPE by merge rank, with '</w>' appended to the piece's last symbol;
//   5. ids from vocab.json, wrapped in <|startoftext|> ... <|endoftext|>, padded (or truncated,
//      keeping <|endoftext|> last) to the context length, 77.

/** CLIP's pre-tokenisation pattern (the reference compiles it with re.IGNORECASE). */
export const CLIP_PATTERN =
  /<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+/giu;

export const START_TOKEN = '<|startoftext|>';
export const END_TOKEN = '<|endoftext|>';
/** CLIP's context length. */
export const CONTEXT_LENGTH = 77;
/** The reference keeps at most this many merges (49152 - 256 - 2). */
const MAX_MERGES = 49152 - 256 - 2;

/**
 * GPT-2/CLIP table mapping each byte to a printable unicode character.
 * @returns {string[]} 256 characters, indexed by byte value
 */
export function bytesToUnicode() {
  const bs = [];
  for (let b = '!'.charCodeAt(0); b <= '~'.charCodeAt(0); b++) bs.push(b);
  for (let b = 0xa1; b <= 0xac; b++) bs.push(b);
  for (let b = 0xae; b <= 0xff; b++) bs.push(b);
  const cs = bs.slice();
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!bs.includes(b)) { bs.push(b); cs.push(256 + n); n++; }
  }
  const table = new Array(256);
  for (let i = 0; i < bs.length; i++) table[bs[i]] = String.fromCodePoint(cs[i]);
  return table;
}

/**
 * The reference's text clean-up: NFC, collapse whitespace, trim, lower-case.
 * @param {string} text
 * @returns {string}
 */
export function cleanText(text) {
  return String(text).normalize('NFC').replace(/\s+/gu, ' ').trim().toLowerCase();
}

const utf8 = new TextEncoder();

/**
 * @typedef {object} TokenizeOptions
 * @property {number} [contextLength=77] rows are padded / truncated to this many ids
 * @property {boolean} [truncate=true] cut over-long texts (the last id stays <|endoftext|>);
 *   when false an over-long text throws, as clip.tokenize does
 * @property {'int64'|'int32'} [dtype='int64'] BigInt64Array (what ONNX int64 inputs take) or Int32Array
 */

/**
 * @typedef {object} TokenizedBatch
 * @property {BigInt64Array|Int32Array} inputIds row-major [batchSize x contextLength]
 * @property {BigInt64Array|Int32Array} attentionMask 1 for real tokens (including start/end), 0 for padding
 * @property {number} batchSize
 * @property {number} contextLength
 * @property {number[]} lengths tokens per row, start and end included (after truncation)
 */

export class ClipTokenizer {
  /**
   * @param {Record<string, number>} vocab token -> id (vocab.json)
   * @param {Array<[string, string]>} merges merge rules, highest priority first
   * @param {{padTokenId?: number}} [options] id used for padding; default 0, as clip.tokenize
   *   (HuggingFace pads with <|endoftext|>; the attention mask makes the choice immaterial for
   *   models that take it, and CLIP pools at the first <|endoftext|> either way)
   */
  constructor(vocab, merges, options = {}) {
    /** @type {Map<string, number>} */
    this.encoder = new Map(Object.entries(vocab));
    for (const [token, id] of this.encoder) {  // ids reach Int32Array/BigInt64Array model inputs
      if (!Number.isInteger(id) || id < 0 || id > 0x7fffffff) {
        throw new Error(`tokenizer vocabulary: token ${JSON.stringify(token)} has id ${JSON.stringify(id)}; ids must be integers 0..2147483647`);
      }
    }
    /** @type {Map<string, number>} */
    this.bpeRanks = new Map();
    merges.forEach(([a, b], i) => this.bpeRanks.set(a + ' ' + b, i));
    this.byteEncoder = bytesToUnicode();
    for (const special of [START_TOKEN, END_TOKEN]) {
      if (!this.encoder.has(special)) throw new Error(`tokenizer vocabulary has no "${special}" token`);
    }
    this.startId = /** @type {number} */ (this.encoder.get(START_TOKEN));
    this.endId = /** @type {number} */ (this.encoder.get(END_TOKEN));
    this.padId = options.padTokenId ?? 0;
    /** @type {Map<string, string[]>} */
    this.cache = new Map([[START_TOKEN, [START_TOKEN]], [END_TOKEN, [END_TOKEN]]]);
    /** @type {Map<number, string>|null} id -> token, built on first decode */
    this.decoder = null;
    /** @type {Map<string, number>|null} */
    this.byteDecoder = null;
  }

  /**
   * Builds a tokenizer from the text of vocab.json and merges.txt (HuggingFace CLIP format:
   * merges.txt starts with a "#version" line, then one "left right" rule per line).
   * @param {string} vocabJson
   * @param {string} mergesTxt
   * @param {{padTokenId?: number}} [options]
   * @returns {ClipTokenizer}
   */
  static fromText(vocabJson, mergesTxt, options) {
    let vocab;
    try {
      vocab = JSON.parse(vocabJson);
    } catch (e) {
      throw new Error(`vocab.json is not valid JSON: ${/** @type {Error} */ (e).message}`);
    }
    if (vocab === null || typeof vocab !== 'object' || Array.isArray(vocab)) {
      throw new Error('vocab.json must be an object mapping tokens to ids');
    }
    let lines = mergesTxt.replace(/\r\n/g, '\n').trim().split('\n');
    if (lines.length && lines[0].startsWith('#version')) lines = lines.slice(1);
    lines = lines.slice(0, MAX_MERGES);
    const merges = /** @type {Array<[string, string]>} */ ([]);
    for (const [i, line] of lines.entries()) {
      if (line === '') continue;
      const parts = line.split(' ');
      if (parts.length !== 2) throw new Error(`merges.txt line ${i + 2} is not "left right": ${JSON.stringify(line)}`);
      merges.push([parts[0], parts[1]]);
    }
    return new ClipTokenizer(vocab, merges, options);
  }

  /**
   * Builds a tokenizer from a HuggingFace tokenizer.json (what the Transformers.js exports ship
   * beside, or instead of, vocab.json + merges.txt): its BPE model's "vocab" and "merges" (each
   * merge "left right", or [left, right] in newer files).
   * @param {string} tokenizerJson
   * @param {{padTokenId?: number}} [options]
   * @returns {ClipTokenizer}
   */
  static fromTokenizerJson(tokenizerJson, options) {
    let parsed;
    try {
      parsed = JSON.parse(tokenizerJson);
    } catch (e) {
      throw new Error(`tokenizer.json is not valid JSON: ${/** @type {Error} */ (e).message}`);
    }
    const model = parsed && parsed.model;
    if (!model || model.type !== 'BPE' || !model.vocab || typeof model.vocab !== 'object' || !Array.isArray(model.merges)) {
      throw new Error(`tokenizer.json: expected a BPE model with "vocab" and "merges" (found model type ${JSON.stringify(model && model.type)})`);
    }
    const merges = model.merges.slice(0, MAX_MERGES).map((/** @type {unknown} */ m, /** @type {number} */ i) => {
      const pair = typeof m === 'string' ? m.split(' ') : m;
      if (!Array.isArray(pair) || pair.length !== 2) throw new Error(`tokenizer.json: merge ${i} is not "left right": ${JSON.stringify(m)}`);
      return /** @type {[string, string]} */ ([String(pair[0]), String(pair[1])]);
    });
    return new ClipTokenizer(model.vocab, merges, options);
  }

  /**
   * BPE of one pre-tokenised, byte-encoded piece.
   * @param {string} token
   * @returns {string[]} symbols, the last one ending in '</w>'
   */
  bpe(token) {
    const hit = this.cache.get(token);
    if (hit) return hit;
    const chars = Array.from(token);
    /** @type {string[]} */
    let word = chars.slice(0, -1).concat(chars[chars.length - 1] + '</w>');
    while (word.length > 1) {
      // the adjacent pair of lowest merge rank
      let best = -1;
      let bestRank = Infinity;
      for (let i = 0; i < word.length - 1; i++) {
        const rank = this.bpeRanks.get(word[i] + ' ' + word[i + 1]);
        if (rank !== undefined && rank < bestRank) { bestRank = rank; best = i; }
      }
      if (best < 0) break;
      const first = word[best];
      const second = word[best + 1];
      // merge every non-overlapping occurrence, left to right (as the reference does)
      const next = [];
      for (let i = 0; i < word.length;) {
        if (i < word.length - 1 && word[i] === first && word[i + 1] === second) {
          next.push(first + second);
          i += 2;
        } else {
          next.push(word[i]);
          i += 1;
        }
      }
      word = next;
    }
    this.cache.set(token, word);
    return word;
  }

  /**
   * Text -> BPE token ids, without start/end tokens (the reference's `encode`).
   * A symbol missing from the vocabulary (only possible when vocab.json and merges.txt disagree)
   * becomes <|endoftext|>, HuggingFace's unknown token.
   * @param {string} text
   * @returns {number[]}
   */
  encode(text) {
    const ids = [];
    for (const match of cleanText(text).matchAll(CLIP_PATTERN)) {
      let piece = '';
      for (const byte of utf8.encode(match[0])) piece += this.byteEncoder[byte];
      for (const sym of this.bpe(piece)) ids.push(this.encoder.get(sym) ?? this.endId);
    }
    return ids;
  }

  /**
   * Ids -> text (the reference's `decode`): start/end/padding ids are dropped, '</w>' becomes a space.
   * @param {ArrayLike<number|bigint>} ids
   * @returns {string}
   */
  decode(ids) {
    if (!this.decoder || !this.byteDecoder) {
      this.decoder = new Map([...this.encoder].map(([t, i]) => [i, t]));
      this.byteDecoder = new Map(this.byteEncoder.map((c, b) => [c, b]));
    }
    const decoder = this.decoder;
    const byteDecoder = this.byteDecoder;
    const bytes = [];
    for (const raw of Array.from(ids)) {
      const id = Number(raw);
      if (id === this.startId || id === this.endId) continue;
      const tok = decoder.get(id);
      if (tok === undefined) continue;
      for (const ch of tok.replace(/<\/w>/g, ' ')) {
        const b = ch === ' ' ? 0x20 : byteDecoder.get(ch);
        if (b !== undefined) bytes.push(b);
      }
    }
    return new TextDecoder().decode(new Uint8Array(bytes)).trim();
  }

  /**
   * Texts -> model inputs: [<|startoftext|>, ...ids, <|endoftext|>] padded to the context length.
   * @param {string|string[]} texts
   * @param {TokenizeOptions} [options]
   * @returns {TokenizedBatch}
   */
  tokenize(texts, options = {}) {
    const list = Array.isArray(texts) ? texts : [texts];
    const contextLength = options.contextLength ?? CONTEXT_LENGTH;
    const truncate = options.truncate ?? true;
    const dtype = options.dtype ?? 'int64';
    if (!(contextLength >= 2)) throw new Error(`contextLength must be at least 2, got ${contextLength}`);
    const n = list.length;
    const ids = new Int32Array(n * contextLength);
    const mask = new Int32Array(n * contextLength);
    const lengths = [];
    for (let r = 0; r < n; r++) {
      let row = [this.startId, ...this.encode(list[r]), this.endId];
      if (row.length > contextLength) {
        if (!truncate) {
          throw new Error(`input ${JSON.stringify(list[r])} is too long for context length ${contextLength}`);
        }
        row = row.slice(0, contextLength);
        row[contextLength - 1] = this.endId;
      }
      const base = r * contextLength;
      for (let j = 0; j < contextLength; j++) {
        ids[base + j] = j < row.length ? row[j] : this.padId;
        mask[base + j] = j < row.length ? 1 : 0;
      }
      lengths.push(row.length);
    }
    if (dtype === 'int32') return { inputIds: ids, attentionMask: mask, batchSize: n, contextLength, lengths };
    if (dtype !== 'int64') throw new Error(`dtype must be "int64" or "int32", got ${JSON.stringify(dtype)}`);
    return {
      inputIds: BigInt64Array.from(ids, (v) => BigInt(v)),
      attentionMask: BigInt64Array.from(mask, (v) => BigInt(v)),
      batchSize: n,
      contextLength,
      lengths,
    };
  }
}
