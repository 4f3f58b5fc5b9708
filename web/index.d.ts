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
  /** tokenizer.json (HuggingFace), instead of vocab + merges. */
  tokenizerJson?: Source;
  /** Instead of vocab + merges. */
  tokenizer?: ClipTokenizer;
  /** Tried in order; default ['webgpu', 'wasm']. */
  executionProviders?: string[];
  /**
   * The onnxruntime module. Default: the bare name 'onnxruntime-web' imported at run time (works
   * under node; in a browser pass it, e.g. `import * as ort from 'onnxruntime-web'`).
   */
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
  /**
   * The text model takes any sequence length (symbolic sequence_length, as the Transformers.js
   * exports): encodeTexts cuts each batch to its longest tokenised text (same embeddings: CLIP
   * pools at the end-of-text token).
   */
  readonly textTakesAnyLength: boolean;
  readonly tokenizer: ClipTokenizer | null;
  /** Image embeddings, row-major [n x dim], unit L2 norm. Default batchSize 8. */
  encodeImages(tensors: Float32Array[] | Float32Array, options?: { batchSize?: number; onProgress?: (p: EncodeProgress) => void }): Promise<Float32Array>;
  /** Text embeddings, row-major [n x dim], unit L2 norm. Default batchSize 32. */
  encodeTexts(texts: string[], options?: { batchSize?: number; trimPadding?: boolean; signal?: AbortSignal; onProgress?: (p: EncodeProgress) => void }): Promise<Float32Array>;
  /** Frees the sessions. */
  dispose(): Promise<void>;
}

/** Bytes of a Source; errors name `what` and the URL (and HTTP status). */
export declare function loadBytes(src: Source, what: string, fetchImpl?: typeof fetch): Promise<Uint8Array>;
/** Normalises each row of a row-major matrix in place to unit L2 norm. */
export declare function l2NormalizeRows(data: Float32Array, dim: number): Float32Array;

// ---------------------------------------------------------------------------------------------
// Clustering (web/src/cluster.js): the WebAssembly core on typed arrays, and the photo pipeline

/** docs/method.md §0: the 7 prompt templates; `{}` is replaced by the noun. */
export declare const TEMPLATES: readonly string[];
/** Images with a side below this many pixels are reported as errors (default 8). */
export declare const MIN_IMAGE_SIDE: number;

export type ClusterMethod = 'ntk-rad' | 'ntk-mean' | 'ntk-pe' | 'ntk-single' | 'rbf' | 'cosine' | 'kmeans' | 'cmatrix';

/**
 * Options of the clustering core (vlc::Options); every field is optional. The keys from `k` to
 * `seed` are the rows of the core's one options table (core/include/vlc/option_table.hpp) in
 * camelCase, with its defaults and ranges; the CLI takes the same options as --snake-case-flags
 * (`vlcluster cluster --help`). VlcModule.optionNames() lists them.
 */
export interface CoreOptions {
  // BEGIN generated by scripts/gen-options.mjs from the options table: do not edit by hand
  /**
   * Number of clusters K (at most M), or auto to estimate it among kmin..kmax. Default 'auto'; an
   * integer ≥ 2 or auto.
   */
  k?: number | 'auto';
  /** Automatic K: smallest candidate. Default 2; an integer in 2..1000. Only with k: 'auto'. */
  kmin?: number;
  /**
   * Automatic K: largest candidate; 0 = min(50, M-1, max(M/5, min(M/2, 9))). Default 0 (the
   * formula above); an integer in 0..1000. Only with k: 'auto'.
   */
  kmax?: number;
  /**
   * Automatic K on a graph: the largest eigengap whose partition has no cluster below
   * kMinClusterFraction of the mean size, or the coding length (kmeans and cmatrix, which have no
   * graph, always use coding-length). Default 'eigengap'; one of eigengap, coding-length. Only
   * with k: 'auto'.
   */
  kRule?: 'eigengap' | 'coding-length';
  /**
   * Eigengap rule: smallest cluster allowed, as a fraction of the mean size M/K (0 = the plain
   * largest gap); lower it for long-tailed data. Default 0.25; a number in [0, 1). Only with k:
   * 'auto'.
   */
  kMinClusterFraction?: number;
  /**
   * Eigengap rule: the floor f of the gap log(1 - λ_k + f) - log(1 - λ_{k+1} + f) (0 = the
   * absolute gap λ_k - λ_{k+1}; estimate_k.hpp). Default 0.01; a number ≥ 0. Only with k: 'auto'.
   */
  kGapFloor?: number;
  /**
   * Automatic K: also compute the other rule's curve for kEstimate (costs kmax k-means runs).
   * Default true; true or false. Only with k: 'auto'.
   */
  kBothCurves?: boolean;
  /**
   * Images whose cosine is at least this are near-duplicates: each group is clustered once and its
   * copies take its label (0 = keep them all). Default 0.98; a number in [0, 1].
   */
  duplicateCosine?: number;
  /**
   * Ntk-rad (NTK per template + RAD), ntk-mean (plain mean), ntk-pe (prompt ensemble), ntk-single
   * (one template), rbf / cosine (image-only kNN graph), kmeans (image embeddings), cmatrix
   * (image-to-noun coefficients). Default 'ntk-rad'; one of ntk-rad, ntk-mean, ntk-pe, ntk-single,
   * rbf, cosine, kmeans, cmatrix.
   */
  method?: ClusterMethod;
  /**
   * Ntk-single: the prompt template used, 0..B-1. Default 0; an integer ≥ 0. Only with method:
   * 'ntk-single'.
   */
  templateIndex?: number;
  /**
   * Neighbours per node of the kNN graph (below M; small sets get at most (M-1)/3). Default 30; an
   * integer in 1..1000. The npm package lowers it to ⌊(M − 1)/3⌋ for small M (defaultQ).
   */
  q?: number;
  /** NTK temperature τ (Eq. 7). Default 0.04; a number > 0. */
  tau?: number;
  /** Rbf: the RBF scale; 0 or less = self-tuning. Default 0; a number. */
  tauRbf?: number;
  /** RAD: pull μ towards the identity (Eq. 11). Default 0.1; a number > 0. */
  mu?: number;
  /** RAD: template-weight regulariser λ (Eq. 11), per image. Default 10; a number > 0. */
  lambda?: number;
  /** RAD: most outer rounds. Default 20; an integer in 1..1000. */
  maxOuter?: number;
  /** Cmatrix: nouns per fine centre. Default 2; an integer in 1..1000. */
  theta?: number;
  /** Cmatrix: ridge regulariser γ. Default 5; a number > 0. */
  gamma?: number;
  /** Noun filter: nouns kept per fine centre. Default 5; an integer in 1..1000. */
  perCentre?: number;
  /** Noun filter: k-means restarts of the fine centres. Default 3; an integer in 1..1000. */
  filterRestarts?: number;
  /** K-means restarts of the final partition. Default 10; an integer in 1..1000. */
  nInit?: number;
  /** Cluster names: top noun scores per image that vote. Default 5; an integer in 1..1000. */
  namingTop?: number;
  /** Cluster names: candidates reported after the name. Default 3; an integer in 0..1000. */
  runnersUp?: number;
  /**
   * NTK neighbour search: exact (exact lists: the ε-sparse walk, or dense tiles when the softmax
   * is flat), ann (HNSW candidates rescored exactly, recall in bench/README.md) or auto (ann from
   * 30 000 images when the softmax is flat). Default 'auto'; one of exact, ann, auto.
   */
  ntkCandidates?: 'exact' | 'ann' | 'auto';
  /**
   * Random seed: the same seed gives the same labels. Default 0; an integer ≥ 0. In JS an integer
   * in 0..2^53 − 1 (Number.MAX_SAFE_INTEGER).
   */
  seed?: number;
  // END generated
  /** L entries, 0 = never keep this noun. */
  nounMask?: Uint8Array;
  /**
   * WordNet hierarchy filtering (seed 003; off by default): never keep a noun whose WordNet depth
   * is below this (entity = 0, object = 2, person = 3, organism = 5, dog = 8); 5 drops 663 of the
   * 11,857 nouns of models/vocab/wordnet_nouns.tsv. Applies to noun filtering (ntk-* methods),
   * cmatrix's candidates and the cluster names. Needs `depths`; clusterImages takes them from the vocabulary asset.
   * Off by default because no benchmark with real CLIP embeddings here shows that it helps.
   */
  genericLevels?: number;
  /** clusterEmbeddings with genericLevels: the WordNet depth of each of the L nouns (-1 = unknown). */
  depths?: ArrayLike<number>;
  /** URL of vlc_wasm.mjs (default: web/dist/ of this package). */
  wasmUrl?: string;
}

/**
 * Options of clusterEmbeddings. Every key is checked: an unknown one (e.g. `K`, `numClusters`,
 * `tua`) is a TypeError naming the closest valid key and listing them all.
 *
 * Shapes: flat images need both `numImages` and `dim` (M × d must be the length: one number alone
 * cannot be checked, a wrong `dim` that divides the length would give another M). Images as an
 * array of rows give M and d themselves; `numImages` / `dim`, when given, must agree. Flat
 * templates need `numTemplates` (B) or `numNouns` (L), or both; templates as an array of B arrays
 * give B, and L from d. Every stated number must match the lengths.
 */
export interface ClusterEmbeddingsOptions extends CoreOptions {
  /** Embedding size d; required when images is one flat Float32Array. */
  dim?: number;
  /** Number of images M; required when images is one flat Float32Array. */
  numImages?: number;
  /** B; when templates is one flat Float32Array B×L×d give this or numNouns. */
  numTemplates?: number;
  /** L, the nouns per template; when templates is one flat Float32Array give this or numTemplates. */
  numNouns?: number;
  /** Name clusters (from the template-averaged nouns, or from names.nouns). */
  nameClusters?: boolean;
  /** Name from this vocabulary instead (T̄, L×d). */
  names?: { nouns: Float32Array };
  /** Noun strings; adds `words` to each name. */
  words?: string[];
  /**
   * Progress of the core's stages (normalise, filter, graph, rad, spectral, ...): fraction 0 at a
   * stage's start, 1 at its end. A function, else a TypeError. Throwing here stops the run: the
   * promise rejects with the thrown error, and the core's memory is freed.
   */
  onProgress?: (stage: string, fraction: number) => void;
  /**
   * Cancels the run: checked before it starts and at every progress report; the promise rejects
   * with an AbortError DOMException (or the Error given to abort(reason)), and the core's memory is freed.
   */
  signal?: AbortSignal;
}

export interface ClusterName {
  cluster: number;
  size: number;
  /** Vocabulary indices: the name, then the runners-up. */
  nouns: Int32Array;
  /** Each noun's vote share (its vote ÷ the cluster's total vote), same order. The order is by
   * distinctiveness (class-based TF-IDF), so a runner-up may have a larger share than the name. */
  shares: Float64Array;
  /** With options.words. */
  words?: string[];
}

export interface KEstimate {
  k: number;
  rule: 'coding-length' | 'eigengap';
  candidates: Int32Array;
  eigengap: Float64Array;
  codingLength: Float64Array;
  /**
   * Eigengap rule: the smallest cluster of each candidate's spectral partition, for the
   * candidates its minimum-size check examined (by decreasing gap, up to the chosen K); −1
   * elsewhere. Empty for coding-length.
   */
  smallestCluster: Int32Array;
  eigenvalues: Float64Array;
}

export interface KCurvePoint {
  k: number;
  codingLength: number | null;
  eigengap: number | null;
}

export interface GraphStats {
  nodes: number;
  edges: number;
  rescued: number;
  isolated: number;
}

export interface ClusterEmbeddingsResult {
  /** M labels in 0..k−1. */
  labels: Int32Array;
  k: number;
  method: ClusterMethod;
  /** Template weights (RAD). */
  beta: Float64Array;
  /** Vocabulary indices of the positive nouns P. */
  keptNouns: Int32Array;
  cmatrixNouns: Int32Array;
  /** Top-k eigenvalues of the normalised affinity (graph methods). */
  eigenvalues: Float64Array;
  components: number;
  /** Groups of ≥ 2 near-duplicate images (indices, ascending); the first was clustered, the rest share its label. */
  duplicateGroups: Int32Array[];
  /**
   * A 2-D map of the images, flat and row-major M×2 (image i at [2i], [2i+1]): the first two
   * non-trivial spectral coordinates of the final affinity (D^{-1/2}v for the eigenvectors after
   * the constant one), the axes the clustering separates images along. On a graph of 3 or more
   * connected components these are the directions telling components apart, so each component
   * is one point. Graph methods only; length 0 for 'kmeans' and 'cmatrix' (and for M = 2).
   */
  embedding2d: Float64Array;
  radOuterIterations: number;
  /** RAD's Â-steps over all outer rounds. */
  radInnerIterations: number;
  radConverged: boolean;
  /** The NTK neighbour search of each template graph (NTK methods): how much of it was exact-sparse. */
  ntkSearch: { candidatePairs: number; fullValues: number; fallbackRows: number; maxDropped: number; meanCandidateNouns: number; meanValueNouns: number; approximate: boolean }[];
  /** The core's backend that ran: "cpu" (or "cuda:<n> (<GPU>)" natively). */
  device: string;
  timings: { stage: string; seconds: number }[];
  graphs: GraphStats[];
  /** Empty unless nameClusters. */
  names: ClusterName[];
  /** Only with k = 'auto'. */
  kEstimate: KEstimate | null;
  kCurve: KCurvePoint[] | null;
}

/**
 * Clusters image embeddings with the WebAssembly core. images: Float32Array M×d (give numImages
 * and dim) or an array of rows; templates: B Float32Arrays (L×d each) or one Float32Array B×L×d
 * (give numTemplates or numNouns); null (or []) for the text-free methods 'kmeans', 'cosine',
 * 'rbf'. Core errors reject with an Error carrying the core's message (e.g. "images row 7 ...").
 */
export declare function clusterEmbeddings(
  images: Float32Array | ArrayLike<number>[],
  templates: Float32Array | Float32Array[] | null,
  options?: ClusterEmbeddingsOptions,
): Promise<ClusterEmbeddingsResult>;

/**
 * §1 alone on the template-averaged vocabulary T̄ (L×d), as vlc::Session's filter stage runs it
 * (near-duplicates merged first): the nouns clusterEmbeddings keeps with the same options.
 */
export declare function filterNouns(
  images: Float32Array,
  nouns: Float32Array,
  options: CoreOptions & { dim: number },
): Promise<{ kept: Int32Array; centres: number; kForCentres: number }>;

/** T̄ = rownormalise(mean over templates of the unit rows), B×L×d -> L×d. */
export declare function ensembleNouns(templates: Float32Array, b: number, l: number, d: number): Float32Array;
/** The default neighbour count for M images: max(1, min(30, ⌊(M−1)/3⌋)). */
export declare function defaultQ(m: number): number;
export declare function halfToFloat(bits: number): number;
export declare function floatToHalf(value: number): number;

/** One row of the core's options table (VlcModule.optionTable()). */
export interface OptionTableRow {
  /** camelCase, the CoreOptions key. */
  key: string;
  /** snake_case, the C++ member, result.json key and (with dashes) CLI flag. */
  name: string;
  type: 'int' | 'double' | 'bool' | 'choice' | 'seed';
  help: string;
  /** As optionDefaults() gives it. */
  default: number | boolean | string;
  /** The default as --help writes it. */
  defaultText: string;
  /** The valid values as --help writes them ("an integer in 2..1000"). */
  valuesText: string;
  /** Where the option means something: always, with automatic K, or with ntk-single. */
  applies: 'always' | 'autoK' | 'ntkSingle';
  /** The word that means "estimate it" (k: 'auto'), or null. */
  autoText: string | null;
  /** A choice option's names; empty otherwise. */
  choices: string[];
}

/** The raw Embind module (web/dist/vlc_wasm.mjs). */
export interface VlcModule {
  cluster(images: Float32Array, templates: Float32Array, shape: { m: number; d: number; b: number; l: number }, options: Record<string, unknown>): Omit<ClusterEmbeddingsResult, 'kCurve'>;
  filterNouns(images: Float32Array, nouns: Float32Array, shape: { m: number; d: number; l: number }, options: Record<string, unknown>): { kept: Int32Array; centres: number; kForCentres: number };
  nameClusters(images: Float32Array, nouns: Float32Array, shape: { m: number; d: number; l: number }, labels: Int32Array, k: number, options: Record<string, unknown>): ClusterName[];
  kRange(m: number, kmin: number, kmax: number): [number, number];
  /** The camelCase keys of the core's options table (CoreOptions from k to seed), in its order. */
  optionNames(): string[];
  /** Each of those keys' default, read from the core's vlc::Options (k: 'auto'; kmax: 0, the core's default_kmax rule). */
  optionDefaults(): Record<string, number | boolean | string>;
  /**
   * The table's rows as scripts/gen-options.mjs reads them to write CoreOptions, the JS key list
   * and result.schema.json's names: the same help and value texts as `vlcluster cluster --help`.
   */
  optionTable(): OptionTableRow[];
  /** Bytes malloc'd in the WASM heap and not yet freed (for leak checks). */
  heapInUse(): number;
  version(): string;
  /** vlc::Session: the images cross into WASM once; the stages reuse them (runPipeline). */
  Session: new (images: Float32Array, shape: { m: number; d: number }, options: Record<string, unknown>) => VlcSession;
}
/** The core's staged pipeline (core/include/vlc/session.hpp). Free it with delete(). */
export interface VlcSession {
  /** New options; a later stage recomputes only what they made stale. */
  setOptions(options: Record<string, unknown>): void;
  /** T̄, the template-averaged vocabulary, L×d. */
  setVocabularyMean(nouns: Float32Array, l: number): void;
  /** §1: the kept nouns' vocabulary indices, ascending. */
  filterNouns(): Int32Array;
  /** The kept nouns under each template, B×|P|×d, in filterNouns() order. */
  setKeptTemplates(templates: Float32Array, b: number): void;
  cluster(): Omit<ClusterEmbeddingsResult, 'kCurve'>;
  /** Names of the current clusters from the whole vocabulary. */
  name(): ClusterName[];
  /** How many times each stage ran: what a re-cluster recomputed. */
  counts(): { filter: number; graph: number; affinity: number; partition: number; name: number };
  delete(): void;
}
/** Loads (once per URL) the WebAssembly core. */
export declare function loadVlcModule(options?: { url?: string | URL }): Promise<VlcModule>;

/** A vocabulary asset (models/build_text_assets.mjs): nouns.json + nouns.f16.bin. */
export interface VocabularySource {
  json?: Source;
  bin?: Source;
  /** Or the data itself: */
  words?: string[];
  /** L×d, template-averaged, unit rows. */
  embeddings?: Float32Array;
  dim?: number;
  /** WordNet depth per word (-1 = unknown), for genericLevels. */
  depths?: number[];
}
export interface Vocabulary {
  words: string[];
  /** WordNet depth per word (-1 = unknown) when the asset has them (nouns.json "depths"). */
  depths?: number[];
  dim: number;
  embeddings: Float32Array;
  meta: Record<string, unknown>;
}
export declare function loadVocabulary(vocabulary: VocabularySource, fetchImpl?: typeof fetch): Promise<Vocabulary>;

/**
 * A model folder URL (under node also a local path), or a hub id such as
 * 'Xenova/clip-vit-base-patch32' (needs hubUrl), in the Transformers.js layout
 * (onnx/vision_model.onnx, onnx/text_model.onnx, tokenizer.json or vocab.json + merges.txt) or flat
 * (vision_model.onnx, text_model.onnx, vocab.json, merges.txt); nouns.json + nouns.f16.bin
 * optional (else the vocabulary is built on the device). Or each file by URL.
 */
export type ModelSpec = string | URL | {
  vision: string;
  text: string;
  vocab: string;
  merges: string;
  /** nouns.f16.bin and nouns.json URLs (or vocabulary). */
  nouns?: string;
  nounsJson?: string;
  vocabulary?: VocabularySource;
  /** Cache key of the text embeddings (default: the vision URL). */
  id?: string;
};

export interface PipelineProgress {
  /**
   * 'load', 'download' (bytes of `file`), 'vocabulary' (texts encoded while building the
   * vocabulary on the device), 'decode', 'encode-images', 'filter', 'encode-texts', 'cluster',
   * 'cluster:<core stage>', 'name'.
   */
  stage: string;
  done: number;
  total: number;
  /** 'download': the file's URL. */
  file?: string;
}

/** dtype: which ONNX variant of a Transformers.js export (file suffix '', _fp16, _quantized, ...). */
export type ModelDtype = 'fp32' | 'fp16' | 'q8' | 'quantized' | 'int8' | 'uint8' | 'q4' | 'bnb4';

/** Where a model given by name or URL comes from (models.js). */
export interface ModelSourceOptions {
  /** Base URL of a model hub serving <id>/resolve/<revision>/<file>; needed for hub ids (node: default $VLC_HUB_URL). No hub is built in. */
  hubUrl?: string;
  /** Hub revision (default 'main'). */
  revision?: string;
  /** Default 'fp32'. */
  dtype?: ModelDtype;
  /** false: fetch every time and keep nothing (downloads, built vocabularies, text embeddings). */
  cache?: boolean;
  /** node: cache folder (default $VLC_CACHE_DIR, else $XDG_CACHE_HOME/vlcluster or ~/.cache/vlcluster). */
  cacheDir?: string;
  fetch?: typeof fetch;
  signal?: AbortSignal;
  /** Bytes of each file as they arrive (total 0 when the server sends no Content-Length). */
  onDownload?: (p: { file: string; loaded: number; total: number }) => void;
}

/** Which nouns of the list a vocabulary is built from. */
export interface NounSelection {
  /** Keep this many, spread evenly over the list (0: all). */
  limit?: number;
  /** Drop words of known WordNet depth below this. */
  minDepth?: number;
  /** Drop words with digits or punctuation. */
  lettersOnly?: boolean;
  /** Words added after the selection. */
  include?: string[];
}

export interface ResolvedModel {
  /** Identity of the model and variant (keys the vocabulary built on the device). */
  id: string;
  base: string;
  vision?: Uint8Array;
  text?: Uint8Array;
  vocab?: Uint8Array;
  merges?: Uint8Array;
  tokenizerJson?: Uint8Array;
  vocabulary: null;
  /** Which file was used for 'vision', 'text', 'tokenizer'. */
  files: Record<string, string>;
}
/** Fetches (or reads, or takes from the cache) a model's files. */
export declare function resolveModel(model: string | URL, options?: ModelSourceOptions & { vision?: boolean; text?: boolean }): Promise<ResolvedModel>;
export declare function locateModel(model: string | URL, options?: ModelSourceOptions): Promise<{ base: string; local: boolean; id: string }>;
/** The folder's nouns.json + nouns.f16.bin, or null. */
export declare function findVocabularyAsset(model: string | URL, options?: ModelSourceOptions): Promise<{ json: Uint8Array; bin: Uint8Array } | null>;
/** Whether a browser takes the string for a hub id (owner/name, no ./, no trailing slash). */
export declare function isHubId(model: string): boolean;
export declare const DTYPE_SUFFIXES: Readonly<Record<ModelDtype, string>>;

export interface NounRow { word: string; depth: number }
/** One word per line, or a "word<TAB>depth" TSV. */
export declare function parseWordList(text: string): NounRow[];
export declare function selectWords(rows: NounRow[], selection?: NounSelection): NounRow[];
/** URL of the noun list the package ships (models/vocab/wordnet_nouns.tsv). */
export declare function nounListUrl(): URL;
/** Builds nouns.json + nouns.f16.bin with the encoder's text tower (every noun under every template). */
export declare function buildVocabularyAsset(encoder: Encoder, rows: NounRow[], options?: {
  templates?: readonly string[]; batchSize?: number; signal?: AbortSignal; onProgress?: (p: EncodeProgress) => void; model?: string; source?: string;
}): Promise<{ json: Uint8Array; bin: Uint8Array }>;
/** The vocabulary from the device's cache, else the model's own (prebuilt), else built now and cached. */
export declare function deviceVocabularyAsset(encoder: Encoder, modelId: string, options?: {
  nounList?: Source; nounSelection?: NounSelection; templates?: readonly string[]; batchSize?: number; cache?: boolean; cacheDir?: string;
  signal?: AbortSignal; onProgress?: (p: PipelineProgress) => void; fetch?: typeof fetch;
  prebuilt?: () => Promise<{ json: Uint8Array; bin: Uint8Array } | null>;
}): Promise<{ json: Uint8Array; bin: Uint8Array; cached: boolean }>;

/** Options of clusterImages / runPipeline; an unknown key is a TypeError naming the closest valid one. */
export interface ClusterImagesOptions extends Omit<CoreOptions, 'depths'>, Omit<ModelSourceOptions, 'fetch' | 'onDownload' | 'signal'> {
  model: ModelSpec;
  /** The noun list a vocabulary is built from when the model ships none (default: the packaged WordNet nouns). */
  nounList?: Source;
  nounSelection?: NounSelection;
  /** Overrides the model folder's nouns.json/nouns.f16.bin. */
  vocabulary?: VocabularySource;
  onProgress?: (p: PipelineProgress) => void;
  /**
   * Aborting terminates the worker (in-thread: stops between stages and at the core's progress
   * reports, freeing its memory); rejects with an AbortError DOMException or the abort reason.
   */
  signal?: AbortSignal;
  /** Run in a module Web Worker (default: when Worker and document exist). */
  worker?: boolean;
  /** URL of web/src/worker.js (default: next to cluster.js). */
  workerUrl?: string | URL;
  /** URL of an onnxruntime-web ES module (needed in a worker, where bare imports do not resolve). */
  ortUrl?: string;
  /** In-thread only: the onnxruntime module itself. */
  ort?: unknown;
  /** ort.env.wasm.wasmPaths: where onnxruntime-web's .wasm files are served. */
  wasmPaths?: string | Record<string, string>;
  /** Default ['webgpu', 'wasm']. */
  executionProviders?: string[];
  numThreads?: number;
  /** Image batch size (default 8); text batch size (default 32). */
  batchSize?: number;
  textBatchSize?: number;
  /** Templates (default TEMPLATES; must match the vocabulary asset's). */
  templates?: string[];
  /** Smallest accepted image side in pixels (default 8). */
  minImageSide?: number;
}

export interface ImageCluster {
  id: number;
  /** The vocabulary noun with the largest vote. */
  name: string;
  /** Its vote share. */
  share: number;
  runnersUp: { noun: string; share: number }[];
  /** Indices into the files given. */
  members: number[];
}

export interface FileError {
  /** The file's name (or "file #i"). */
  file: string;
  index: number;
  /** Starts with the file name. */
  message: string;
}

export interface ClusterImagesResult {
  clusters: ImageCluster[];
  /** One per file; −1 for files in errors. */
  labels: Int32Array;
  errors: FileError[];
  /** Execution provider of the encoder: 'webgpu' or 'wasm'. */
  backend: string;
  /** Why WebGPU was not used ("webgpu: ..."), or null. */
  fallbackReason: string | null;
  k: number;
  kCurve: KCurvePoint[] | null;
  /** The positive nouns P. */
  keptNouns: string[];
  /**
   * ClusterEmbeddingsResult.embedding2d per file, flat files.length×2: NaN for files in errors;
   * length 0 for methods without a graph.
   */
  embedding2d: Float64Array;
  /** Groups of ≥ 2 near-duplicate photos, as indices into the input files (options.duplicateCosine). */
  duplicateGroups: number[][];
  beta: number[];
  timings: { stage: string; seconds: number }[];
  /** Text-embedding cache hits (null without IndexedDB). */
  textCache: { hits: number; total: number } | null;
  /** The method that ran ('ntk-rad' by default). */
  method: string;
  /** Connected components of the final affinity (graph methods). */
  components: number;
  /** Seconds of the clustering call: noun filter, prompts, core stages, names. */
  clusterSeconds: number;
}

/**
 * On an Error of the core (name 'VlcError'): the input it concerns (vlc::Error::input), so a
 * caller can name its own argument or file. Absent when the error is not about one input.
 */
export interface VlcInputRef {
  kind: 'images' | 'template' | 'nouns' | 'option';
  /** kind 'template': which template (b). */
  index?: number;
  /** The row at fault, when one is. */
  row?: number;
  /** kind 'option': its camelCase name. */
  option?: string;
}

/** PhotoSession.open's options: where the model, its vocabulary and the runtimes come from. */
export type PhotoSessionOptions = Pick<ClusterImagesOptions, 'model' | 'nounList' | 'nounSelection' | 'vocabulary' | 'ortUrl' | 'ort'
  | 'wasmPaths' | 'executionProviders' | 'numThreads' | 'textBatchSize' | 'templates' | 'wasmUrl' | 'hubUrl' | 'dtype' | 'revision'
  | 'cache' | 'cacheDir' | 'onProgress' | 'signal'>;

/** PhotoSession.addFiles's options. */
export interface AddFilesOptions {
  /** Smallest accepted image side in pixels (default 8). */
  minImageSide?: number;
  /** Photos encoded together, also how many preprocessed tensors are held (default 8). */
  batchSize?: number;
  /**
   * Decoder of one image file to pixels (default the package's decodeImage). Pixel objects pass
   * through; empty files, non-image types and decoder errors become `errors` entries as usual.
   */
  decode?: (file: Blob) => Promise<PixelData>;
  /** Files decoding while one is preprocessed (default 2). */
  decodeAhead?: number;
  onProgress?: (p: PipelineProgress) => void;
  signal?: AbortSignal;
}

/** PhotoSession.cluster's options: the core's, per run. */
export interface PhotoClusterOptions extends Omit<CoreOptions, 'depths'> {
  onProgress?: (p: PipelineProgress) => void;
  signal?: AbortSignal;
}

/**
 * A photo set encoded once and clustered as often as asked: open() loads the model, vocabulary
 * and core; addFiles() decodes and encodes (bad files become `errors`); cluster() filters nouns,
 * encodes only prompts not encoded before, clusters and names, reusing the core's stages whose
 * inputs did not change (vlc::Session). runPipeline is open + addFiles + cluster + dispose.
 */
export declare class PhotoSession {
  static open(options: PhotoSessionOptions): Promise<PhotoSession>;
  readonly backend: string;
  readonly fallbackReason: string | null;
  readonly dim: number;
  readonly modelId: string;
  /** Photos that will be clustered (files added minus errors). */
  readonly count: number;
  /** Files given so far (numbered over every addFiles call). */
  readonly fileCount: number;
  readonly errors: FileError[];
  /** Embedding row → file index. */
  readonly indices: number[];
  /** Photos run through the image encoder by this session. */
  readonly imagesEncoded: number;
  addFiles(files: ImageFiles, options?: AddFilesOptions): Promise<{ added: number; errors: FileError[] }>;
  /** Embeddings saved earlier (embeddings() of a session of the same model), instead of addFiles. */
  restore(saved: { images: Float32Array; indices: number[]; errors?: FileError[]; fileCount: number; imagesEncoded?: number }): void;
  /** The image embeddings, row j = file rows[j]. */
  embeddings(): { data: Float32Array; dim: number; rows: number[] };
  cluster(options?: PhotoClusterOptions): Promise<ClusterImagesResult>;
  /** The core's stage counts: what a re-cluster reused. */
  counts(): { filter: number; graph: number; affinity: number; partition: number; name: number };
  /** Frees the core session and the encoder. */
  dispose(): Promise<void>;
}

export type ImageInput = Blob | (PixelData & { name?: string });
/**
 * The files to cluster: an `<input type=file>`'s FileList, File[] or Blob[] (e.g. from a drop or
 * fetch), or decoded pixels; anything with a length and indices.
 */
export type ImageFiles = ArrayLike<ImageInput>;

/**
 * Decode -> encode -> noun filtering -> kept nouns encoded per template -> cluster -> names, in a
 * module Web Worker. Bad files are reported in `errors` and the rest is clustered; a model that
 * cannot be loaded rejects the promise with an Error naming the URL.
 */
export declare function clusterImages(files: ImageFiles, options: ClusterImagesOptions): Promise<ClusterImagesResult>;
/** The same pipeline in the calling thread (one PhotoSession's single pass). */
export declare function runPipeline(files: ImageFiles, options: ClusterImagesOptions): Promise<ClusterImagesResult>;
/** URLs of a model folder's files. */
export declare function modelFiles(model: ModelSpec): { vision: string; text: string; vocab: string; merges: string; vocabulary: VocabularySource; id: string };

/** IndexedDB cache of text embeddings keyed by model id + text (template applied to the word); a no-op without IndexedDB. */
export declare class TextEmbeddingCache {
  constructor(modelId: string);
  readonly modelId: string;
  readonly available: boolean;
  getMany(texts: string[]): Promise<(Float32Array | undefined)[]>;
  putMany(texts: string[], embeddings: Float32Array[]): Promise<void>;
}
