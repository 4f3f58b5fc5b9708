// The demo's module Web Worker: decoding (decode.js), CLIP encoding and clustering off the page's thread.
//
// It keeps one PhotoSession (the package's web/src/photo_session.js) per photo set: the photos are
// decoded and encoded once, and "change K" re-clusters the same session — the core reuses its
// stages, and only prompts of newly kept nouns are encoded. This file is UI glue: it maps the
// session's progress to the page's four bars and its result to the page's view. The one demo-only
// step is the decoder (decode.js: the browser's reduced-scale JPEG decoding), handed to addFiles.
//
// Messages in:
//   {type: 'run', files: File[], model: {source, hubUrl?, dtype?}, k: 'auto' | number, executionProviders?}
//     source: a model folder URL, or a hub id such as Xenova/clip-vit-base-patch32 (with hubUrl)
//   {type: 'recluster', k, restore?}   restore: a reloaded session's embeddings (restoreSession)
// Messages out:
//   {type: 'progress', stage: 'load'|'decode'|'encode'|'cluster', done, total, detail?}
//   {type: 'model', backend, fallbackReason, dim, fromCache: {fileUrl: boolean}}
//   {type: 'result', result}           (result: PhotoSession.cluster's, see cluster below)
//   {type: 'error', message, errors?}
// Cancelling = the page terminates this worker.

import { decodeForClip } from './decode.js';
import { PhotoSession } from '../src/photo_session.js';
import { message } from '../src/cluster.js';

const ORT_URL = new URL('../../node_modules/onnxruntime-web/dist/ort.min.mjs', import.meta.url).href;
const WASM_URL = new URL('../dist/vlc_wasm.mjs', import.meta.url).href;

/** @type {PhotoSession | null} */
let session = null;
/** Runs of the image encoder over the photo set (1 after a run; re-clustering adds none). */
let encodeRuns = 0;

/** @param {any} msg */
const post = (msg) => self.postMessage(msg);
const progress = (/** @type {string} */ stage, /** @type {number} */ done, /** @type {number} */ total, /** @type {string} */ detail = '') =>
  post({ type: 'progress', stage, done, total, detail });

/**
 * The page's progress bars (load, decode, encode, cluster) from the session's stages.
 * @param {{stage: string, done: number, total: number, file?: string}} p
 * @param {Record<string, boolean>} fromCache file URL -> whether it came from the cache
 */
function showProgress(p, fromCache) {
  if (p.stage === 'download' && p.file) {
    // a cache hit reports once, complete; a download starts at 0
    fromCache[p.file] ??= p.done > 0 && p.done === p.total;
    const name = p.file.split('/').pop();
    if (!fromCache[p.file]) progress('load', p.done, p.total + 1, `downloading ${name} (${(p.done / 1e6).toFixed(1)} MB)`);
  } else if (p.stage === 'vocabulary') {
    progress('load', p.done, p.total + 1, 'building the noun vocabulary (once per model)');
  } else if (p.stage === 'decode') {
    progress('decode', p.done, p.total);
  } else if (p.stage === 'encode-images') {
    progress('encode', p.done, p.total);
  } else if (p.stage === 'filter' && p.done === 0) {
    progress('cluster', 0, 1, 'choosing candidate nouns');
  } else if (p.stage === 'encode-texts') {
    progress('cluster', p.done, p.total, 'text prompts of the kept nouns');
  } else if (p.stage === 'cluster' && p.done === 0) {
    progress('cluster', 0, 1, `clustering ${session?.count ?? ''} photos`);
  } else if (p.stage === 'name' && p.done === p.total) {
    progress('cluster', 1, 1, 'done');
  }
}

/**
 * A PhotoSession on the model (a folder URL, or a hub id with its hub's URL: the package's
 * models.js — either folder layout, dtype variants, downloads checked and kept in Cache Storage)
 * and its vocabulary (the folder's nouns.* asset, else built in this browser once and kept in
 * IndexedDB: vocabulary.js).
 * @param {{source: string, hubUrl?: string, dtype?: string}} spec
 * @param {string[] | undefined} executionProviders
 */
async function openSession(spec, executionProviders) {
  const ort = await import(ORT_URL);
  ort.env.wasm.numThreads = 1; // see web/demo/serve.mjs: no cross-origin isolation, one thread
  ort.env.wasm.wasmPaths = new URL('./', ORT_URL).href;
  /** @type {Record<string, boolean>} */
  const fromCache = {};
  progress('load', 0, 2, 'model files');
  let s;
  try {
    s = await PhotoSession.open({
      model: spec.source, hubUrl: spec.hubUrl || undefined, dtype: spec.dtype || undefined,
      ort, numThreads: 1, executionProviders, wasmUrl: WASM_URL,
      onProgress: (p) => showProgress(p, fromCache),
    });
  } catch (e) {
    throw new Error(`${message(e)} (is the URL right, and does the server allow CORS?)`);
  }
  progress('load', 1, 1, 'model ready');
  return { s, fromCache };
}

/** Clusters the session with K (or 'auto') and posts the page's view of the result. @param {'auto'|number} k */
async function cluster(k) {
  const s = /** @type {PhotoSession} */ (session);
  // Automatic K: the core's candidate range (default_kmax, as in the CLI and the package).
  const r = await s.cluster({ k, onProgress: (p) => showProgress(p, {}) });
  // Clusters without a name still get one to show.
  for (const c of r.clusters) if (!c.name) c.name = `cluster ${c.id}`;
  // The 2-D map: the clustering's spectral coordinates, one row per photo (row j = photo
  // embeddings.rows[j]); empty for methods without a graph, where the page falls back to a PCA of
  // the embeddings (a copy is sent for that, and for the saved session).
  const { data, dim, rows } = s.embeddings();
  const embedding2d = new Float64Array(r.embedding2d.length ? 2 * rows.length : 0);
  rows.forEach((fileIndex, j) => { if (embedding2d.length) embedding2d.set(r.embedding2d.subarray(2 * fileIndex, 2 * fileIndex + 2), 2 * j); });
  post({
    type: 'result',
    result: {
      ...r, embedding2d, embeddings: { data, dim, rows }, imagesEncoded: s.imagesEncoded, encodeRuns, m: rows.length,
    },
  });
}

async function run(/** @type {any} */ msg) {
  const files = /** @type {File[]} */ (msg.files);
  session?.dispose();
  session = null;
  const { s, fromCache } = await openSession(msg.model, msg.executionProviders);
  session = s;
  encodeRuns = 0;
  post({ type: 'model', backend: s.backend, fallbackReason: s.fallbackReason, dim: s.dim, fromCache });
  progress('decode', 0, files.length);
  progress('encode', 0, files.length);
  // decodeForClip: downscaled by the browser's decoder first (decode.js: why, and the tolerance);
  // the checks (empty file, not an image, too small) and the error entries are the package's.
  await s.addFiles(files, { batchSize: 8, decode: decodeForClip, onProgress: (p) => showProgress(p, fromCache) });
  encodeRuns = 1;
  if (s.count < 2) {
    post({ type: 'error', message: `only ${s.count} of ${files.length} files could be read as images; clustering needs at least 2`, errors: s.errors });
    return;
  }
  await cluster(msg.k);
}

/**
 * A session restored by the page after a reload (session.js): its embeddings, without the photos.
 * @param {{model: any, executionProviders?: string[], images: Float32Array, indices: number[], errors: any[], fileCount: number, imagesEncoded?: number, encodeRuns?: number}} saved
 */
async function restoreSession(saved) {
  const { s } = await openSession(saved.model, saved.executionProviders);
  try {
    // the counts of the page that encoded them: still "encoded once"
    s.restore(saved);
  } catch {
    await s.dispose();
    throw new Error('the saved embeddings are of another model: group the photos again');
  }
  session = s;
  encodeRuns = saved.encodeRuns ?? 0;
}

async function recluster(/** @type {any} */ msg) {
  if (!session?.count && msg.restore) await restoreSession(msg.restore);
  if (!session?.count) throw new Error('nothing to re-cluster: run the photos first');
  await cluster(msg.k);
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
