// Types of the vlcluster package (web/src/index.js).
// Sections: tokenizer, image preprocessing, encoder. Clustering types are added below them.

// ---------------------------------------------------------------------------------------------
// Tokenizer (web/src/tokenizer.js): CLIP's byte-level BPE

export declare const CLIP_PATTERN: RegExp;
export declare const START_TOKEN: '<|startoftext|>';
export declare const END_TOKEN: '<|endoftext|>';
/** CLIP's context length, 77. */
export declare const CONTEXT_LENGTH: number;

/** GPT-2/CLIP byte -> printable character table (256 entries, indexed by byte). */
export declare function bytesToUnicode(): string[];
/** NFC, whitespace runs -> one space, trim, lower-case. */
export declare function cleanText(text: string): string;

export interface TokenizeOptions {
  /** Rows are padded / truncated to this many ids. Default 77. */
  contextLength?: number;
  /** Cut over-long texts, keeping <|endoftext|> last (default true); false throws instead. */
  truncate?: boolean;
  /** 'int64' (default): BigInt64Array, what ONNX int64 inputs take; 'int32': Int32Array. */
  dtype?: 'int64' | 'int32';
}

export interface TokenizedBatch<T extends BigInt64Array | Int32Array = BigInt64Array | Int32Array> {
  /** Row-major [batchSize x contextLength]. */
  inputIds: T;
  /** 1 for real tokens (start and end included), 0 for padding. */
  attentionMask: T;
  batchSize: number;
  contextLength: number;
  /** Tokens per row, start and end included, after truncation. */
  lengths: number[];
}

export declare class ClipTokenizer {
  constructor(vocab: Record<string, number>, merges: Array<[string, string]>, options?: { padTokenId?: number });
  /** From the text of vocab.json and merges.txt (HuggingFace CLIP format). */
  static fromText(vocabJson: string, mergesTxt: string, options?: { padTokenId?: number }): ClipTokenizer;
  readonly startId: number;
  readonly endId: number;
  readonly padId: number;
  /** BPE symbols of one byte-encoded piece; the last ends in '</w>'. */
  bpe(token: string): string[];
  /** Token ids without start/end tokens. */
  encode(text: string): number[];
  /** Ids -> text; start/end ids dropped, '</w>' -> space. */
  decode(ids: ArrayLike<number | bigint>): string;
  tokenize(texts: string | string[], options?: TokenizeOptions & { dtype?: 'int64' }): TokenizedBatch<BigInt64Array>;
  tokenize(texts: string | string[], options: TokenizeOptions & { dtype: 'int32' }): TokenizedBatch<Int32Array>;
}

// ---------------------------------------------------------------------------------------------
// Image preprocessing (web/src/preprocess.js)

/** RGBA pixels, row-major, 4 bytes per pixel (ImageData-like). */
export interface PixelData {
  data: Uint8ClampedArray | Uint8Array;
  width: number;
  height: number;
}

export interface PreprocessOptions {
  /** Shorter side after resizing, and the crop size. Default 224. */
  size?: number;
  /** Per-channel mean, CLIP's by default. */
  mean?: ArrayLike<number>;
  /** Per-channel standard deviation, CLIP's by default. */
  std?: ArrayLike<number>;
}

export declare const CLIP_IMAGE_SIZE: number;
export declare const CLIP_MEAN: readonly number[];
export declare const CLIP_STD: readonly number[];

/** CLIP preprocessing of one image -> Float32Array [3 x size x size] (channel-major). */
export declare function preprocessImage(image: PixelData, options?: PreprocessOptions): Float32Array;
/** Resize (shorter side to size, Pillow BICUBIC) + centre crop, 8-bit packed RGB [size x size x 3]. */
export declare function resizeAndCrop(image: PixelData, size?: number): Uint8Array;
/** Pillow-exact BICUBIC resize of packed RGB. */
export declare function resizeBicubicRGB(rgb: Uint8Array, width: number, height: number, outWidth: number, outHeight: number): Uint8Array;
/** [width, height] after CLIP's shorter-side resize. */
export declare function shortestSideSize(width: number, height: number, size?: number): [number, number];
/** RGBA -> packed RGB (alpha dropped). */
export declare function toRGB(image: PixelData): Uint8Array;

export interface JpegInfo {
  /** EXIF orientation 1..8 (1 when absent or invalid). */
  orientation: number;
  /** Stored size from the SOF segment (0 if not reached). */
  width: number;
  height: number;
}
/** Orientation and stored size of a JPEG; null when the bytes are not a JPEG. */
export declare function readJpegInfo(bytes: ArrayBuffer | ArrayBufferView): JpegInfo | null;
/** EXIF orientation 1..8 of a JPEG (1 when absent, invalid, or not a JPEG). */
export declare function readExifOrientation(bytes: ArrayBuffer | ArrayBufferView): number;
/** Stored pixels -> display pixels for an EXIF orientation (5..8 swap width and height). */
export declare function applyOrientation(image: PixelData, orientation: number, channels?: number): { data: Uint8ClampedArray; width: number; height: number };
/** Browser only: whether createImageBitmap applies EXIF orientation (probed once). */
export declare function browserAppliesExifOrientation(): Promise<boolean>;
/** Browser only: decode an image file to RGBA pixels in display orientation. */
export declare function decodeImage(blob: Blob, options?: { exif?: 'auto' | 'browser' }): Promise<{ data: Uint8ClampedArray; width: number; height: number }>;

// ---------------------------------------------------------------------------------------------
// Encoder (web/src/encoder.js): CLIP on onnxruntime

/** A URL (fetched; under node also a file path or file: URL) or the file's bytes. */
export type Source = string | URL | ArrayBuffer | ArrayBufferView;

export interface EncoderLoadOptions {
  /** vision_model.onnx: pixel_values float32 [batch,3,224,224] -> image_embeds [batch,dim]. */
  vision?: Source;
  /** text_model.onnx: input_ids int64 [batch,77] (+ attention_mask) -> text_embeds [batch,dim]. */
  text?: Source;
  /** vocab.json, or its parsed object. */
  vocab?: Source | Record<string, number>;
  /** merges.txt. */
  merges?: Source;
  /** Instead of vocab + merges. */
  tokenizer?: ClipTokenizer;
  /** Tried in order; default ['webgpu', 'wasm']. */
  executionProviders?: string[];
  /** The onnxruntime module (default: import('onnxruntime-web')). */
  ort?: unknown;
  /** Sets ort.env.wasm.numThreads. */
  numThreads?: number;
  /** Extra InferenceSession options. */
  sessionOptions?: Record<string, unknown>;
  /** fetch implementation for URL sources. */
  fetch?: typeof fetch;
}

export interface BackendAttempt {
  executionProvider: string;
  /** Why it could not be used. */
  error: string;
}

export interface EncodeProgress {
  done: number;
  total: number;
}

export declare const DEFAULT_EXECUTION_PROVIDERS: readonly string[];
export declare const VISION_INPUT: 'pixel_values';
export declare const VISION_OUTPUT: 'image_embeds';
export declare const TEXT_INPUT: 'input_ids';
export declare const TEXT_MASK: 'attention_mask';
export declare const TEXT_OUTPUT: 'text_embeds';

/** A model that does not look like the expected CLIP export. */
export declare class ModelFormatError extends Error {}

export declare class Encoder {
  /** Loads models + tokenizer, picks the first execution provider that runs both, warms up. */
  static load(options: EncoderLoadOptions): Promise<Encoder>;
  /** Execution provider in use ('webgpu' or 'wasm' with onnxruntime-web). */
  readonly backend: string;
  /** Execution providers tried before `backend`, and why each failed. */
  readonly fallbacks: BackendAttempt[];
  /** "<provider>: <reason>" for the first provider when it was not used, else null. */
  readonly fallbackReason: string | null;
  /** Embedding dimension (512 for ViT-B/32). */
  readonly dim: number;
  /** Side of the vision model's square input (224). */
  readonly imageSize: number;
  /** Text context length (77). */
  readonly contextLength: number;
  readonly tokenizer: ClipTokenizer | null;
  /** Image embeddings, row-major [n x dim], unit L2 norm. Default batchSize 8. */
  encodeImages(tensors: Float32Array[] | Float32Array, options?: { batchSize?: number; onProgress?: (p: EncodeProgress) => void }): Promise<Float32Array>;
  /** Text embeddings, row-major [n x dim], unit L2 norm. Default batchSize 32. */
  encodeTexts(texts: string[], options?: { batchSize?: number; onProgress?: (p: EncodeProgress) => void }): Promise<Float32Array>;
  /** Frees the sessions. */
  dispose(): Promise<void>;
}

/** Bytes of a Source; errors name `what` and the URL (and HTTP status). */
export declare function loadBytes(src: Source, what: string, fetchImpl?: typeof fetch): Promise<Uint8Array>;
/** Normalises each row of a row-major matrix in place to unit L2 norm. */
export declare function l2NormalizeRows(data: Float32Array, dim: number): Float32Array;
