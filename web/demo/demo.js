// The vlcluster demo page: photos in (drop / pick), clusters out, edited by hand, exported.
// Decoding, encoding and clustering run in a module worker (engine.js); this file is the UI.
import {
  makeZip, zipLayout, exportObject, toCSV, pca2d, fanOut, formatDuration, etaRecent, clusterColour, filePath,
  uniqueNames, nextPointTowards, summaryLine,
} from './lib.js';
import { isHubId } from '../src/models.js';
import { makeThumbnail } from './decode.js';
import { saveSession, loadSession, clearSession, fileRecord, sameFile } from './session.js';

const $ = (/** @type {string} */ sel) => /** @type {HTMLElement} */ (document.querySelector(sel));
const TINY_MODEL = new URL('../../models/tiny-clip/', import.meta.url).href;
const IMAGE_EXT = /\.(jpe?g|png|gif|webp|avif|bmp|heic|heif|tiff?)$/i;
const MAX_K = 30;

/**
 * @typedef {{id: number, name: string, autoName: string, runnersUp: Array<{noun: string, share: number}>, members: number[], colour: string, mergedFrom?: string[]}} Cluster
 */
const S = {
  /** @type {File[]} */ files: [],
  /** @type {string[]} thumbnail object URLs ('' until made, or when the file is not an image) */ urls: [],
  /** @type {Cluster[] | null} */ clusters: null,
  /** @type {Array<{file: string, index: number, message: string}>} */ errors: [],
  /** @type {any} */ result: null,
  /** @type {Worker | null} */ worker: null,
  running: false,
  /** @type {Map<number, [number, number]>} file index -> map position */ coords: new Map(),
  mapSource: '',
  /** @type {string | null} */ backend: null,
  /** @type {string} */ model: TINY_MODEL,
  /** @type {Record<string, Array<{t: number, done: number}>>} stage -> progress samples (ETA) */ samples: {},
  edits: 0,
  /** @type {Set<number>} files of a restored session whose photo is not in the page */ missing: new Set(),
  /** the session has changes not yet written to IndexedDB (beforeunload warns) */ unsaved: false,
  /** @type {any} the model spec of the last run (a restored session re-clusters with it) */ modelSpec: null,
  keepPhotos: false,
};

// ---------------------------------------------------------------------------------------------
// Files in

/** @param {File[]} list */
function addFiles(list) {
  if (!list.length) return;
  if (reattach(list)) return;
  if (S.running) cancel('Cancelled: new photos were added.');
  resetResults();
  const first = S.files.length;
  for (const f of list) {
    S.files.push(f);
    S.urls.push('');
  }
  renderPending();
  queueThumbnails(first);
  updateKOptions();
  $('#file-count').textContent = `${S.files.length} file${S.files.length === 1 ? '' : 's'} selected.`;
  /** @type {HTMLButtonElement} */ ($('#start')).disabled = S.files.length < 2;
  /** @type {HTMLButtonElement} */ ($('#clear')).disabled = false;
  setStatus(S.files.length < 2 ? 'Add at least two photos.' : 'Ready to group.');
}

/**
 * A restored session without its photos: added files that are among them (same name, size and
 * date) take their places, and the clusters stay. False when none is: the files start a new
 * session. @param {File[]} list
 */
function reattach(list) {
  if (!S.missing.size || S.running) return false;
  let back = 0;
  for (const f of list) {
    const at = [...S.missing].find((i) => sameFile(f, S.files[i]));
    if (at === undefined) continue;
    S.files[at] = f;
    S.missing.delete(at);
    queueThumbnail(at);
    back++;
  }
  if (!back) return false; // other photos: a new session
  renderClusters();
  updateExportButtons();
  /** @type {HTMLButtonElement} */ ($('#start')).disabled = S.missing.size > 0;
  const other = list.length - back;
  setStatus(`${back} photo${back === 1 ? '' : 's'} back in the session${S.missing.size ? `; ${S.missing.size} still missing` : ''}.`
    + (other ? ` ${other} other file${other === 1 ? ' was' : 's were'} not added: Clear first to group new photos.` : ''));
  scheduleSave();
  return true;
}

/** Files of a dropped folder: recursively, image files only, hidden files skipped. */
async function entryFiles(/** @type {any} */ entry, /** @type {File[]} */ out) {
  if (entry.isFile) {
    if (entry.name.startsWith('.')) return;
    const file = await new Promise((resolve, reject) => entry.file(resolve, reject));
    if (IMAGE_EXT.test(file.name) || file.type.startsWith('image/')) out.push(file);
  } else if (entry.isDirectory) {
    const reader = entry.createReader();
    for (;;) {
      const batch = await new Promise((resolve, reject) => reader.readEntries(resolve, reject));
      if (!batch.length) break;
      for (const e of batch) await entryFiles(e, out);
    }
  }
}

function setupDrop() {
  const drop = $('#drop');
  const over = (/** @type {DragEvent} */ e) => {
    if (!e.dataTransfer || ![...e.dataTransfer.types].includes('Files')) return;
    e.preventDefault();
    drop.classList.add('over');
  };
  drop.addEventListener('dragenter', over);
  drop.addEventListener('dragover', over);
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', async (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    const dt = e.dataTransfer;
    if (!dt) return;
    // Entries must be taken synchronously, inside the event.
    const entries = [...dt.items].filter((it) => it.kind === 'file').map((it) => it.webkitGetAsEntry?.() ?? null);
    const plain = [...dt.files];
    if (entries.length && entries.every(Boolean) && entries.some((en) => en?.isDirectory)) {
      /** @type {File[]} */
      const out = [];
      for (const en of entries) {
        if (en?.isDirectory) await entryFiles(en, out);
        else out.push(plain[entries.indexOf(en)]);
      }
      addFiles(out);
    } else {
      addFiles(plain);
    }
  });
  // Keyboard: Enter/Space on the drop zone opens the file picker.
  drop.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); /** @type {HTMLInputElement} */ ($('#pick-files')).click(); }
  });
  $('#pick-files-button').addEventListener('click', () => $('#pick-files').click());
  $('#pick-folder-button').addEventListener('click', () => $('#pick-folder').click());
  for (const id of ['#pick-files', '#pick-folder']) {
    const input = /** @type {HTMLInputElement} */ ($(id));
    input.addEventListener('change', () => {
      let list = [...(input.files ?? [])];
      if (id === '#pick-folder') list = list.filter((f) => !f.name.startsWith('.') && (IMAGE_EXT.test(f.name) || f.type.startsWith('image/')));
      addFiles(list);
      input.value = '';
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Thumbnails

/** Thumbnails made at once: the browser decodes off the main thread, two keep both cores busy. */
const THUMB_CONCURRENCY = 2;
let thumbGeneration = 0;
/** @type {Promise<void>} resolves when the queued thumbnails are made (tests, bench) */
let thumbnailsReady = Promise.resolve();

/**
 * Makes small thumbnails (decode.js makeThumbnail: ≤ 256 px JPEGs) of the files from `first` on,
 * and puts each in the thumbnails already on the page. The originals are never shown in the
 * grid: 500 full-size <img> decodes were what took Chromium to 1.9 GB.
 * @param {number} first
 */
function queueThumbnails(first) {
  thumbQueue.push(...Array.from({ length: S.files.length - first }, (_, j) => first + j));
  startThumbnailWorkers();
}

/** @param {number} i */
function queueThumbnail(i) {
  thumbQueue.push(i);
  startThumbnailWorkers();
}

/** @type {number[]} file indices waiting for a thumbnail */
let thumbQueue = [];

function startThumbnailWorkers() {
  const generation = thumbGeneration;
  const worker = async () => {
    while (thumbQueue.length && generation === thumbGeneration) {
      const i = /** @type {number} */ (thumbQueue.shift());
      let url = '';
      try {
        url = URL.createObjectURL(await makeThumbnail(S.files[i]));
      } catch { /* not an image: the thumbnail shows as broken */ }
      if (generation !== thumbGeneration) { if (url) URL.revokeObjectURL(url); return; }
      S.urls[i] = url;
      for (const b of document.querySelectorAll(`.thumb[data-index="${i}"]`)) showThumb(/** @type {HTMLElement} */ (b), i);
    }
  };
  const done = Promise.all(Array.from({ length: THUMB_CONCURRENCY }, worker)).then(() => {});
  thumbnailsReady = thumbnailsReady.then(() => done);
}

/** @param {HTMLElement} b a .thumb button @param {number} i */
function showThumb(b, i) {
  const img = /** @type {HTMLImageElement} */ (b.querySelector('img'));
  if (S.urls[i]) img.src = S.urls[i];
  else b.classList.add('broken');
}

/** A thumbnail button: click to enlarge, drag to another cluster. @param {number} i */
function thumb(i) {
  const f = S.files[i];
  const b = document.createElement('button');
  b.type = 'button';
  b.className = 'thumb';
  b.dataset.index = String(i);
  b.title = filePath(f);
  b.setAttribute('aria-label', `${filePath(f)}: enlarge`);
  const img = document.createElement('img');
  img.alt = '';
  if (S.missing.has(i)) {
    b.classList.add('missing');
    b.title = `${filePath(f)} (not in this page: add it again to see it)`;
    b.append(filePath(f));
  }
  img.loading = 'lazy';
  img.decoding = 'async';
  img.addEventListener('error', () => b.classList.add('broken'), { once: true });
  b.append(img);
  if (S.urls[i]) img.src = S.urls[i];
  b.addEventListener('click', () => openViewer(i));
  if (S.clusters) {
    b.draggable = true;
    b.addEventListener('dragstart', (e) => {
      e.dataTransfer?.setData('application/x-vlcluster-photo', String(i));
      e.dataTransfer?.setData('text/plain', filePath(f));
      if (e.dataTransfer) e.dataTransfer.effectAllowed = 'move';
      b.classList.add('dragging');
    });
    b.addEventListener('dragend', () => b.classList.remove('dragging'));
  }
  return b;
}

function renderPending() {
  const grid = $('#pending-grid');
  grid.replaceChildren(...S.files.map((_, i) => thumb(i)));
  $('#thumbs-pending').hidden = S.files.length === 0 || !!S.clusters;
}

// ---------------------------------------------------------------------------------------------
// Running

/**
 * What the engine loads: the bundled tiny model, a folder URL, or a hub id with the hub's URL.
 * @returns {{source: string, hubUrl?: string, dtype?: string}}
 */
function modelSpec() {
  const choice = /** @type {HTMLInputElement} */ (document.querySelector('input[name=model]:checked')).value;
  if (choice === 'tiny') return { source: TINY_MODEL };
  const raw = /** @type {HTMLInputElement} */ ($('#model-url')).value.trim();
  const dtype = /** @type {HTMLSelectElement} */ ($('#model-dtype')).value;
  if (!raw) throw new Error('Type the URL of a CLIP export folder or a hub id such as Xenova/clip-vit-base-patch32, or choose the bundled tiny model.');
  if (isHubId(raw)) {
    const hub = /** @type {HTMLInputElement} */ ($('#hub-url')).value.trim();
    if (!hub) throw new Error(`"${raw}" is a hub id: type the base URL of the model hub that serves it (no hub is built in), or give the model folder's URL.`);
    if (!/^https?:\/\//i.test(hub)) throw new Error('The hub URL must be http(s).');
    return { source: raw, hubUrl: hub, dtype };
  }
  const u = new URL(raw, location.href);
  if (!/^https?:$/.test(u.protocol)) throw new Error('The model URL must be http(s).');
  return { source: u.href.endsWith('/') ? u.href : `${u.href}/`, dtype };
}

function kValue(/** @type {string} */ sel) {
  const v = /** @type {HTMLSelectElement} */ ($(sel)).value;
  return v === 'auto' ? 'auto' : Number(v);
}

function newWorker() {
  const w = new Worker(new URL('./engine.js', import.meta.url), { type: 'module' });
  w.onmessage = (ev) => onEngineMessage(ev.data);
  w.onerror = (ev) => {
    finishRun();
    setStatus(`The worker failed: ${ev.message || 'could not start web/demo/engine.js'}`, true);
  };
  return w;
}

function start() {
  if (S.files.length < 2 || S.running) return;
  let model;
  try {
    model = modelSpec();
  } catch (e) {
    setStatus(/** @type {Error} */ (e).message, true);
    return;
  }
  S.model = model.source;
  S.modelSpec = model;
  S.worker?.terminate();
  resetResults();
  S.worker = newWorker();
  beginRun();
  // on a phone the bars are below the fold after tapping Group: bring them into view
  $('#progress').scrollIntoView({ block: 'nearest', behavior: 'smooth' });
  setStatus('Loading the model…');
  S.worker.postMessage({ type: 'run', files: S.files, model, k: kValue('#k') });
}

function recluster() {
  if (!S.result || S.running) return;
  if (S.edits && !confirm('Re-clustering replaces your manual moves, merges and names. Continue?')) return;
  // After a reload the worker is new: it gets the saved embeddings (and loads the model again).
  const restore = S.worker ? undefined : {
    model: S.modelSpec, images: S.result.embeddings.data, indices: S.result.embeddings.rows, errors: S.errors, fileCount: S.files.length,
    imagesEncoded: S.result.imagesEncoded, encodeRuns: S.result.encodeRuns,
  };
  S.worker ??= newWorker();
  beginRun(['cluster']);
  setStatus('Re-clustering (the photos are not encoded again)…');
  S.worker.postMessage({ type: 'recluster', k: kValue('#k2'), restore });
}

/** @param {string[]} [stages] the stages this run goes through (the others keep their bars) */
function beginRun(stages = ['decode', 'encode', 'cluster']) {
  S.running = true;
  S.samples = {};
  for (const s of stages) setBar(s, 0, 1, '–');
  document.body.classList.add('busy');
  for (const id of ['#start', '#recluster']) /** @type {HTMLButtonElement} */ ($(id)).disabled = true;
  /** @type {HTMLButtonElement} */ ($('#cancel')).disabled = false;
}

function finishRun() {
  S.running = false;
  document.body.classList.remove('busy');
  /** @type {HTMLButtonElement} */ ($('#start')).disabled = S.files.length < 2;
  /** @type {HTMLButtonElement} */ ($('#recluster')).disabled = !S.result;
  /** @type {HTMLButtonElement} */ ($('#cancel')).disabled = true;
}

function cancel(text = 'Cancelled.') {
  if (!S.running) return;
  // Terminating the worker stops decoding/encoding at once; the embeddings go with it.
  S.worker?.terminate();
  S.worker = null;
  const wasRecluster = !!S.result;
  S.result = wasRecluster ? S.result : null;
  finishRun();
  if (wasRecluster) /** @type {HTMLButtonElement} */ ($('#recluster')).disabled = true; // embeddings are gone
  for (const el of document.querySelectorAll('.stage')) {
    const s = /** @type {HTMLElement} */ (el).dataset.stage ?? '';
    const bar = /** @type {HTMLProgressElement} */ (el.querySelector('progress'));
    if (bar.value < bar.max) setBar(s, bar.value, bar.max, 'cancelled');
  }
  setStatus(text);
}

/** @param {string} stage @param {number} done @param {number} total @param {string} [text] */
function setBar(stage, done, total, text) {
  const el = document.querySelector(`.stage[data-stage="${stage}"]`);
  if (!el) return;
  const bar = /** @type {HTMLProgressElement} */ (el.querySelector('progress'));
  bar.max = Math.max(1, total);
  bar.value = Math.min(done, total);
  /** @type {HTMLElement} */ (el.querySelector('.count')).textContent = text ?? `${done} / ${total}`;
}

/** @param {{stage: string, done: number, total: number, detail?: string}} p */
function onProgress(p) {
  const now = performance.now() / 1000;
  if (p.stage === 'load') {
    setStatus(p.done < p.total ? `Loading the model (${p.detail || 'files'}: ${p.done} / ${p.total - 1})…` : 'Model loaded.');
    return;
  }
  const key = `${p.stage}:${p.detail ?? ''}`;
  if (!S.samples[key] || p.done === 0) S.samples[key] = [];
  S.samples[key].push({ t: now, done: p.done });
  const left = etaRecent(S.samples[key], p.total);
  let text;
  if (p.stage === 'cluster') {
    text = p.detail === 'done' ? 'done' : p.total > 1 ? `${p.detail}: ${p.done} / ${p.total}` : `${p.detail}…`;
  } else {
    text = `${p.done} / ${p.total}${p.done >= p.total ? ' · done' : left !== null ? ` · about ${formatDuration(left)} left` : ''}`;
  }
  if (p.stage === 'cluster' && p.detail !== 'done') setBar('cluster', p.done, Math.max(p.total, p.done + 1), text);
  else setBar(p.stage, p.done, p.total, text);
  if (p.stage === 'decode') setStatus(`Reading photos (${p.done} / ${p.total})…`);
  if (p.stage === 'encode') setStatus(`Encoding photos with CLIP (${p.done} / ${p.total})…`);
  if (p.stage === 'cluster' && p.detail !== 'done') setStatus(`Clustering: ${p.detail}…`);
}

/** @param {any} msg */
function onEngineMessage(msg) {
  if (!S.running) return;
  if (msg.type === 'progress') onProgress(msg);
  else if (msg.type === 'model') {
    S.backend = msg.backend;
    const cached = Object.values(msg.fromCache).every(Boolean);
    $('#backend').textContent = `${msg.backend}${msg.backend === 'wasm' ? ' (CPU, WebAssembly)' : msg.backend === 'webgpu' ? ' (GPU)' : ''}`
      + `${msg.fallbackReason ? ` — ${shortReason(msg.fallbackReason)}` : ''} · model ${cached ? 'from cache' : 'downloaded and cached'}`;
    $('#backend').title = msg.fallbackReason ?? '';
  } else if (msg.type === 'result') {
    showResult(msg.result);
    finishRun();
  } else if (msg.type === 'error') {
    finishRun();
    if (msg.errors) { S.errors = msg.errors; renderErrors(); }
    setStatus(msg.message, true);
  }
}

/** "webgpu: <long message>" -> "WebGPU unavailable, using WASM". @param {string} r */
function shortReason(r) {
  const provider = r.split(':')[0];
  return `${provider === 'webgpu' ? 'WebGPU' : provider} unavailable, using the CPU`;
}

function setStatus(/** @type {string} */ text, error = false) {
  const el = $('#status');
  el.textContent = text;
  el.classList.toggle('error', error);
}

/** A manual edit: counted (re-clustering asks first) and saved. */
function edited() {
  S.edits++;
  scheduleSave();
}

/** @type {ReturnType<typeof setTimeout> | undefined} */
let saveTimer;
let saveSerial = 0;

/** Writes the session to IndexedDB soon (edits come in bursts); until then, `unsaved`. */
function scheduleSave() {
  if (!S.clusters || !S.result) return;
  S.unsaved = true;
  const serial = ++saveSerial;
  clearTimeout(saveTimer);
  saveTimer = setTimeout(() => {
    // The page may have been cleared (or a new run begun) within the 200 ms: nothing to keep.
    if (!S.clusters || !S.result) return;
    saveSession(sessionObject()).then(() => {
      if (serial === saveSerial) S.unsaved = false;
    }, (e) => setStatus(`Could not keep the session in this browser: ${e?.message ?? e}`, true));
  }, 200);
}

/** What a reload restores (session.js); photos only when the user allows it. */
function sessionObject() {
  return {
    files: S.files.map(fileRecord),
    photos: S.keepPhotos ? S.files : null,
    result: S.result, // embeddings included: re-clustering after a reload encodes nothing
    clusters: S.clusters,
    errors: S.errors,
    edits: S.edits,
    backend: S.backend,
    model: S.model,
    modelSpec: S.modelSpec,
  };
}

/** Brings back the last session, if one was kept. */
async function restoreSession() {
  let saved = null;
  try {
    saved = await loadSession();
  } catch { return; /* no IndexedDB (private mode): nothing to restore */ }
  // A session without a result (saved by an older page, or cut short) has nothing to show.
  if (!saved || !saved.result || !saved.clusters || S.files.length) return;
  const photos = /** @type {File[] | null} */ (saved.photos);
  S.files = photos ?? saved.files.map(placeholderFile);
  S.missing = new Set(photos ? [] : S.files.map((_, i) => i));
  S.urls = S.files.map(() => '');
  S.keepPhotos = !!photos;
  /** @type {HTMLInputElement} */ ($('#keep-photos')).checked = S.keepPhotos;
  S.backend = saved.backend;
  S.model = saved.model;
  S.modelSpec = saved.modelSpec;
  S.result = saved.result;
  S.errors = saved.errors;
  S.clusters = saved.clusters;
  S.edits = saved.edits;
  if (photos) queueThumbnails(0);
  updateKOptions();
  $('#file-count').textContent = `${S.files.length} files (restored).`;
  /** @type {HTMLButtonElement} */ ($('#clear')).disabled = false;
  /** @type {HTMLButtonElement} */ ($('#start')).disabled = S.missing.size > 0 || S.files.length < 2;
  computeMap(S.result);
  showClusters();
  setStatus(`Restored the session of ${new Date(saved.savedAt).toLocaleString()}: ${S.clusters?.length} clusters of ${S.result.m} photos, with your edits.`
    + (S.missing.size ? ' The photos were not kept: add the same photos again to see them.' : ''));
}

/** A File standing in for a photo of a restored session that was not kept: its name only. @param {any} r */
function placeholderFile(r) {
  const f = new File([], r.name, { type: r.type, lastModified: r.lastModified });
  // sameFile() compares the size: the real one, not this empty stand-in's
  Object.defineProperty(f, 'size', { value: r.size });
  if (r.path) Object.defineProperty(f, 'webkitRelativePath', { value: r.path });
  return f;
}

function updateExportButtons() {
  const zip = /** @type {HTMLButtonElement} */ ($('#export-zip'));
  zip.disabled = S.missing.size > 0;
  zip.title = S.missing.size ? 'The photos of the restored session are not in the page: add them again first' : '';
}

function resetResults() {
  S.clusters = null;
  S.result = null;
  S.errors = [];
  S.coords = new Map();
  S.edits = 0;
  S.missing = new Set();
  $('#results').hidden = true;
  $('#errors').hidden = true;
  $('#clusters').replaceChildren();
  $('#thumbs-pending').hidden = S.files.length === 0;
}

function clearAll() {
  if (S.running) cancel();
  S.worker?.terminate();
  S.worker = null;
  thumbGeneration++;
  thumbQueue = [];
  for (const u of S.urls) if (u) URL.revokeObjectURL(u);
  S.files = [];
  S.urls = [];
  resetResults();
  clearTimeout(saveTimer);
  saveSerial++;
  S.unsaved = false;
  clearSession().catch(() => {});
  renderPending();
  for (const s of ['decode', 'encode', 'cluster']) setBar(s, 0, 1, '–');
  $('#file-count').textContent = 'No photos yet.';
  /** @type {HTMLButtonElement} */ ($('#start')).disabled = true;
  /** @type {HTMLButtonElement} */ ($('#clear')).disabled = true;
  setStatus('Ready.');
}

// ---------------------------------------------------------------------------------------------
// Results

/** @param {any} r */
function showResult(r) {
  S.result = r;
  S.errors = r.errors;
  S.edits = 0;
  S.clusters = r.clusters
    .filter((/** @type {any} */ c) => c.members.length)
    .map((/** @type {any} */ c, /** @type {number} */ i) => ({
      id: c.id, name: c.name, autoName: c.name, runnersUp: c.runnersUp, members: [...c.members], colour: clusterColour(i),
    }));
  computeMap(r);
  showClusters();
  scheduleSave();
  const cands = (r.kCurve ?? []).map((/** @type {any} */ p) => p.k);
  const kNote = cands.length ? ` (K chosen automatically among ${cands.length > 1 ? `${cands[0]}…${cands[cands.length - 1]}` : cands[0]})` : '';
  setStatus(`${r.m} photos in ${S.clusters.length} clusters${kNote}; ${r.errors.length} file${r.errors.length === 1 ? '' : 's'} could not be read. `
    + `Photos encoded once (${r.imagesEncoded} encodings); clustering took ${r.clusterSeconds.toFixed(2)} s.`);
  // the result is below the fold: go there, and put the keyboard there too (not on <body>)
  const heading = $('#results-h');
  heading.focus({ preventScroll: true });
  heading.scrollIntoView({ block: 'start', behavior: 'smooth' });
}

/** Shows the results panel for S.clusters (a fresh result, or a restored session). */
function showClusters() {
  $('#thumbs-pending').hidden = true;
  $('#results').hidden = false;
  renderErrors();
  renderClusters();
  updateExportButtons();
  /** @type {HTMLButtonElement} */ ($('#recluster')).disabled = S.running || !S.result;
}

function renderErrors() {
  const list = $('#error-list');
  list.replaceChildren(...S.errors.map((e) => {
    const li = document.createElement('li');
    const name = document.createElement('strong');
    name.textContent = filePath(S.files[e.index]) || e.file;
    const msg = document.createElement('span');
    msg.textContent = ` — ${e.message.startsWith(`${e.file}: `) ? e.message.slice(e.file.length + 2) : e.message}`;
    li.dataset.index = String(e.index);
    li.append(name, msg);
    return li;
  }));
  $('#errors').hidden = S.errors.length === 0;
}

function sortedClusters() {
  const list = [...(S.clusters ?? [])];
  const how = /** @type {HTMLSelectElement} */ ($('#sort')).value;
  if (how === 'name') list.sort((a, b) => a.name.localeCompare(b.name) || a.id - b.id);
  else list.sort((a, b) => b.members.length - a.members.length || a.id - b.id);
  return list;
}

/** @param {number} share */
const pct = (share) => (share > 0 && share <= 1 ? ` ${Math.round(share * 100)}%` : '');

/** @type {Map<number, string>} cluster id -> the name shown (uniqueNames in lib.js) */
let shownNames = new Map();
/** @param {Cluster} c */
const shown = (c) => shownNames.get(c.id) ?? c.name;

/**
 * Re-renders the cards, map and viewer menu; then puts the focus back on `focus` (a selector,
 * looked up after the render), since the element that had it was replaced.
 * @param {string} [focus]
 */
function renderClusters(focus) {
  const box = $('#clusters');
  const list = sortedClusters();
  const names = uniqueNames(list);
  shownNames = new Map(list.map((c, i) => [c.id, names[i]]));
  box.replaceChildren(...list.map((c) => card(c, list)));
  $('#summary').textContent = summaryLine(list, S.result?.duplicateGroups);
  drawMap();
  updateViewerOptions();
  if (focus) /** @type {HTMLElement | null} */ (document.querySelector(focus))?.focus();
}

/** @param {Cluster} c @param {Cluster[]} all */
function card(c, all) {
  const el = document.createElement('article');
  el.className = 'card';
  el.dataset.clusterId = String(c.id);
  el.style.setProperty('--c', c.colour);
  el.setAttribute('aria-label', `Cluster ${shown(c)}, ${c.members.length} photos`);

  const head = document.createElement('header');
  const sw = document.createElement('span');
  sw.className = 'swatch';
  sw.setAttribute('aria-hidden', 'true');
  const name = document.createElement('input');
  name.className = 'name';
  name.value = shown(c);
  name.setAttribute('aria-label', `Name of the cluster "${shown(c)}" (edit to rename)`);
  name.addEventListener('change', () => {
    const v = name.value.trim();
    if (!v || v === shown(c)) { name.value = shown(c); return; }
    c.name = v;
    edited();
    renderClusters(`.card[data-cluster-id="${c.id}"] .name`);
  });
  const size = document.createElement('span');
  size.className = 'size';
  size.textContent = `${c.members.length} photo${c.members.length === 1 ? '' : 's'}`;
  head.append(sw, name, size);

  const runners = document.createElement('p');
  runners.className = 'runners';
  const top = c.runnersUp.slice(0, 2);
  runners.textContent = (c.name !== c.autoName ? `was “${c.autoName}” · ` : '')
    + (c.mergedFrom?.length ? `merged with ${c.mergedFrom.map((n) => `“${n}”`).join(', ')}` : '')
    + (top.length ? `also: ${top.map((r) => `${r.noun}${pct(r.share)}`).join(' · ')}` : '');

  const grid = document.createElement('div');
  grid.className = 'grid';
  grid.append(...c.members.map((i) => thumb(i)));
  // Drop target for photos dragged from other cards.
  el.addEventListener('dragover', (e) => {
    if (!e.dataTransfer?.types.includes('application/x-vlcluster-photo')) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = 'move';
    el.classList.add('over');
  });
  el.addEventListener('dragleave', (e) => { if (!el.contains(/** @type {Node} */ (e.relatedTarget))) el.classList.remove('over'); });
  el.addEventListener('drop', (e) => {
    const v = e.dataTransfer?.getData('application/x-vlcluster-photo');
    el.classList.remove('over');
    if (!v) return;
    e.preventDefault();
    moveFile(Number(v), c.id);
  });

  const foot = document.createElement('footer');
  const lab = document.createElement('label');
  lab.textContent = 'Merge into ';
  const sel = document.createElement('select');
  sel.className = 'merge-target';
  sel.setAttribute('aria-label', `Merge the cluster "${shown(c)}" into`);
  for (const o of all) {
    if (o.id === c.id) continue;
    sel.append(new Option(`${shown(o)} (${o.members.length})`, String(o.id)));
  }
  lab.append(sel);
  const btn = document.createElement('button');
  btn.type = 'button';
  btn.className = 'merge';
  btn.textContent = 'Merge';
  btn.disabled = all.length < 2;
  btn.addEventListener('click', () => mergeClusters(c.id, Number(sel.value)));
  foot.append(lab, btn);

  el.append(head, runners, grid, foot);
  return el;
}

/** @param {number} fileIndex @param {number} toId */
function moveFile(fileIndex, toId) {
  if (!S.clusters) return;
  const from = S.clusters.find((c) => c.members.includes(fileIndex));
  const to = S.clusters.find((c) => c.id === toId);
  if (!from || !to || from === to) return;
  from.members = from.members.filter((i) => i !== fileIndex);
  to.members.push(fileIndex);
  to.members.sort((a, b) => a - b);
  if (!from.members.length) S.clusters = S.clusters.filter((c) => c !== from);
  edited();
  // keyboard: in the viewer the menu keeps the focus; after a drag, the moved photo has it
  renderClusters(viewing !== null ? '#viewer-move' : `.card[data-cluster-id="${to.id}"] .thumb[data-index="${fileIndex}"]`);
  setStatus(`Moved ${filePath(S.files[fileIndex])} to “${shown(to)}”.`);
}

/** @param {number} fromId @param {number} intoId */
function mergeClusters(fromId, intoId) {
  if (!S.clusters || fromId === intoId) return;
  const from = S.clusters.find((c) => c.id === fromId);
  const into = S.clusters.find((c) => c.id === intoId);
  if (!from || !into) return;
  const [fromName, intoName] = [shown(from), shown(into)];
  into.members = [...into.members, ...from.members].sort((a, b) => a - b);
  // The runners-up were the core's for the cluster before the merge: they no longer describe it.
  into.runnersUp = [];
  into.mergedFrom = [...(into.mergedFrom ?? []), fromName];
  S.clusters = S.clusters.filter((c) => c !== from);
  edited();
  renderClusters(`.card[data-cluster-id="${into.id}"] .name`);
  setStatus(`Merged “${fromName}” into “${intoName}”.`);
}

// ---------------------------------------------------------------------------------------------
// Viewer

/** @type {number | null} */
let viewing = null;
/** The enlarged photo's object URL (the original file), revoked when the viewer closes. */
let viewerUrl = '';

/** @type {'thumb' | 'map'} where the viewer was opened from, for the focus when it closes */
let openedFrom = 'thumb';

/** @param {number} i @param {'thumb' | 'map'} [from] */
function openViewer(i, from = 'thumb') {
  viewing = i;
  openedFrom = from;
  const dlg = /** @type {HTMLDialogElement} */ ($('#viewer'));
  if (viewerUrl) URL.revokeObjectURL(viewerUrl);
  viewerUrl = URL.createObjectURL(S.files[i]);
  /** @type {HTMLImageElement} */ ($('#viewer-img')).src = viewerUrl;
  /** @type {HTMLImageElement} */ ($('#viewer-img')).alt = filePath(S.files[i]);
  $('#viewer-name').textContent = filePath(S.files[i]);
  updateViewerOptions();
  if (!dlg.open) dlg.showModal();
}

function updateViewerOptions() {
  if (viewing === null) return;
  const sel = /** @type {HTMLSelectElement} */ ($('#viewer-move'));
  const p = sel.closest('p');
  if (p) p.hidden = !S.clusters;
  if (!S.clusters) return;
  const current = S.clusters.find((c) => c.members.includes(/** @type {number} */ (viewing)));
  sel.replaceChildren(...sortedClusters().map((c) => new Option(`${shown(c)} (${c.members.length})`, String(c.id), false, c === current)));
}

// ---------------------------------------------------------------------------------------------
// 2-D map

/** @param {any} r */
function computeMap(r) {
  S.coords = new Map();
  const rows = r.embeddings?.rows ?? [];
  if (r.embedding2d && r.embedding2d.length >= rows.length * 2) {
    rows.forEach((fi, j) => S.coords.set(fi, [r.embedding2d[2 * j], r.embedding2d[2 * j + 1]]));
    S.mapSource = 'Axes: the first two non-trivial spectral coordinates of the clustering\'s graph.'
      + (r.components >= 3 ? ` The graph has ${r.components} parts with no edges between them: each part sits on one spot`
        + `${r.components > 3 ? ' (the parts after the two largest on the same one)' : ''}, its photos fanned out around it.` : '');
  } else if (r.embeddings) {
    const { data, dim } = r.embeddings;
    const xy = pca2d(data, rows.length, dim);
    rows.forEach((fi, j) => S.coords.set(fi, [xy[2 * j], xy[2 * j + 1]]));
    S.mapSource = 'Axes: the first two principal components of the CLIP image embeddings, computed here '
      + '(fallback: this clustering has no spectral coordinates — its method builds no graph, or there are only 2 photos).';
  }
  $('#map-note').textContent = S.mapSource;
}

/** @type {Array<{x: number, y: number, i: number, name: string}>} */
let mapPoints = [];

function drawMap() {
  const canvas = /** @type {HTMLCanvasElement} */ ($('#map'));
  const css = canvas.clientWidth || 360;
  const dpr = window.devicePixelRatio || 1;
  canvas.width = Math.round(css * dpr);
  canvas.height = Math.round(css * dpr);
  const ctx = /** @type {CanvasRenderingContext2D} */ (canvas.getContext('2d'));
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.fillStyle = '#fbfbfd';
  ctx.fillRect(0, 0, css, css);
  ctx.strokeStyle = '#d9dbe3';
  ctx.strokeRect(0.5, 0.5, css - 1, css - 1);
  mapPoints = [];
  if (!S.clusters || !S.coords.size) return;
  const pts = [...S.coords.values()];
  const xs = pts.map((p) => p[0]);
  const ys = pts.map((p) => p[1]);
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const pad = 18;
  const sx = (css - 2 * pad) / (x1 - x0 || 1);
  const sy = (css - 2 * pad) / (y1 - y0 || 1);
  // Readable at 200+ photos: smaller dots when there are many; near neighbours (same cell of a
  // dot's size) fanned out; the largest clusters drawn first, so that a small cluster is drawn
  // over them and never hidden.
  const radius = S.coords.size > 150 ? 3.5 : 5;
  /** @type {Array<{i: number, colour: string, name: string}>} */
  const drawn = [];
  const bySize = [...(S.clusters ?? [])].sort((a, b) => b.members.length - a.members.length || a.id - b.id);
  for (const c of bySize) for (const i of c.members) if (S.coords.has(i)) drawn.push({ i, colour: c.colour, name: shown(c) });
  const at = fanOut(drawn.map(({ i }) => {
    const p = /** @type {[number, number]} */ (S.coords.get(i));
    return [pad + (p[0] - x0) * sx, css - pad - (p[1] - y0) * sy];
  }), 2 * radius + 1, 2 * radius);
  const legend = $('#legend');
  legend.replaceChildren();
  for (const c of sortedClusters()) {
    const li = document.createElement('li');
    li.style.setProperty('--c', c.colour);
    li.textContent = `${shown(c)} (${c.members.length})`;
    legend.append(li);
  }
  drawn.forEach(({ i, colour, name }, j) => {
    const x = Math.min(css - 6, Math.max(6, at[j][0]));
    const y = Math.min(css - 6, Math.max(6, at[j][1]));
    ctx.fillStyle = colour;
    ctx.beginPath();
    ctx.arc(x, y, radius, 0, 2 * Math.PI);
    ctx.fill();
    ctx.strokeStyle = 'rgba(255,255,255,.9)';
    ctx.lineWidth = 1.5;
    ctx.stroke();
    mapPoints.push({ x, y, i, name });
  });
  const focused = mapPoints.find((p) => p.i === mapFocus);
  if (focused && document.activeElement === canvas) {
    // the keyboard's point: a ring, drawn last so that it is on top
    ctx.strokeStyle = '#111';
    ctx.lineWidth = 2;
    ctx.beginPath();
    ctx.arc(focused.x, focused.y, radius + 4, 0, 2 * Math.PI);
    ctx.stroke();
  }
}

/** File index of the map's keyboard point (arrow keys), or -1. */
let mapFocus = -1;

/** Moves the map's keyboard point and says which photo it is. @param {number} i file index */
function focusMapPoint(i) {
  mapFocus = i;
  const p = mapPoints.find((q) => q.i === i);
  $('#map-point').textContent = p ? `${filePath(S.files[i])} — ${p.name} (Enter: enlarge)` : '';
  drawMap();
}

/** Arrow keys move between the points, Enter/Space enlarges one. @param {KeyboardEvent} e */
function mapKeydown(e) {
  if (!mapPoints.length) return;
  const at = Math.max(0, mapPoints.findIndex((p) => p.i === mapFocus));
  if (e.key === 'ArrowLeft' || e.key === 'ArrowRight' || e.key === 'ArrowUp' || e.key === 'ArrowDown') {
    e.preventDefault();
    focusMapPoint(mapPoints[mapFocus < 0 ? 0 : nextPointTowards(mapPoints, at, e.key)].i);
  } else if ((e.key === 'Enter' || e.key === ' ') && mapFocus >= 0) {
    e.preventDefault();
    openViewer(mapFocus, 'map');
  }
}

function setupMap() {
  const canvas = /** @type {HTMLCanvasElement} */ ($('#map'));
  canvas.addEventListener('click', (e) => {
    const r = canvas.getBoundingClientRect();
    const x = e.clientX - r.left;
    const y = e.clientY - r.top;
    let best = null;
    let bd = 12 * 12;
    for (const p of mapPoints) {
      const d = (p.x - x) ** 2 + (p.y - y) ** 2;
      if (d < bd) { bd = d; best = p; }
    }
    if (best) openViewer(best.i);
  });
  canvas.addEventListener('keydown', mapKeydown);
  canvas.addEventListener('focus', () => focusMapPoint(mapPoints.some((p) => p.i === mapFocus) ? mapFocus : (mapPoints[0]?.i ?? -1)));
  canvas.addEventListener('blur', drawMap);
  let width = canvas.clientWidth;
  new ResizeObserver(() => {
    if (canvas.clientWidth !== width) { width = canvas.clientWidth; drawMap(); }
  }).observe(canvas);
}

// ---------------------------------------------------------------------------------------------
// Export

/** @param {Blob} blob @param {string} name */
function download(blob, name) {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 60_000);
}

function exportState() {
  return { clusters: sortedClusters(), errors: S.errors, backend: S.backend ?? undefined, model: S.model };
}

async function exportZip() {
  if (!S.clusters) return;
  const btn = /** @type {HTMLButtonElement} */ ($('#export-zip'));
  btn.disabled = true;
  setStatus('Writing the ZIP…');
  try {
    const blob = await makeZip(zipLayout(sortedClusters(), S.files));
    download(blob, 'vlcluster-clusters.zip');
    setStatus(`ZIP ready: ${sortedClusters().length} folders, ${(blob.size / 1e6).toFixed(1)} MB.`);
  } catch (e) {
    setStatus(`ZIP failed: ${/** @type {Error} */ (e).message}`, true);
  } finally {
    btn.disabled = false;
  }
}

// ---------------------------------------------------------------------------------------------
// Setup

function updateKOptions() {
  const max = Math.min(MAX_K, Math.max(2, S.files.length - 1));
  for (const id of ['#k', '#k2']) {
    const sel = /** @type {HTMLSelectElement} */ ($(id));
    const keep = sel.value;
    sel.replaceChildren(new Option('auto', 'auto'));
    for (let k = 2; k <= max; k++) sel.append(new Option(String(k), String(k)));
    sel.value = [...sel.options].some((o) => o.value === keep) ? keep : 'auto';
  }
}

async function forgetModels() {
  if (typeof caches === 'undefined') return;
  // the package's model cache (models.js), and the demo's own from before it used that
  const names = (await caches.keys()).filter((n) => n === 'vlcluster-models' || n.startsWith('vlcluster-demo-models'));
  await Promise.all(names.map((n) => caches.delete(n)));
  setStatus(names.length ? 'Cached model files removed.' : 'No cached model files.');
}

/**
 * ?model=ID_OR_URL&hub=URL&dtype=q8 in the page's address chooses that model (a link that opens the
 * demo with a real CLIP export).
 * @param {() => void} enableModelFields
 */
function prefillModel(enableModelFields) {
  const q = new URLSearchParams(location.search);
  const model = q.get('model');
  if (!model) return;
  /** @type {HTMLInputElement} */ (document.querySelector('input[name=model][value=url]')).checked = true;
  /** @type {HTMLInputElement} */ ($('#model-url')).value = model;
  /** @type {HTMLInputElement} */ ($('#hub-url')).value = q.get('hub') ?? '';
  const dtype = q.get('dtype');
  const select = /** @type {HTMLSelectElement} */ ($('#model-dtype'));
  if (dtype && [...select.options].some((o) => o.value === dtype)) select.value = dtype;
  enableModelFields();
}

function init() {
  setupDrop();
  setupMap();
  $('#start').addEventListener('click', start);
  $('#cancel').addEventListener('click', () => cancel());
  $('#clear').addEventListener('click', clearAll);
  $('#recluster').addEventListener('click', recluster);
  $('#sort').addEventListener('change', renderClusters);
  $('#export-json').addEventListener('click', () => {
    if (!S.clusters) return;
    const obj = exportObject(exportState(), S.files);
    download(new Blob([JSON.stringify(obj, null, 2)], { type: 'application/json' }), 'vlcluster-clusters.json');
  });
  $('#export-csv').addEventListener('click', () => {
    if (!S.clusters) return;
    download(new Blob([toCSV(sortedClusters(), S.files)], { type: 'text/csv' }), 'vlcluster-clusters.csv');
  });
  $('#export-zip').addEventListener('click', exportZip);
  $('#forget-models').addEventListener('click', forgetModels);
  const modelFields = ['#model-url', '#hub-url', '#model-dtype'];
  const enableModelFields = () => {
    const url = /** @type {HTMLInputElement} */ (document.querySelector('input[name=model][value=url]')).checked;
    for (const id of modelFields) /** @type {HTMLInputElement} */ ($(id)).disabled = !url;
  };
  for (const r of document.querySelectorAll('input[name=model]')) r.addEventListener('change', enableModelFields);
  prefillModel(enableModelFields);
  // A move happens on commit only (Enter in the menu, or the Move button), not on 'change':
  // Chromium fires 'change' for every ArrowDown on a closed <select>.
  const commitMove = () => {
    if (viewing === null) return;
    moveFile(viewing, Number(/** @type {HTMLSelectElement} */ ($('#viewer-move')).value));
  };
  $('#viewer-move').addEventListener('keydown', (e) => {
    if (/** @type {KeyboardEvent} */ (e).key === 'Enter') { e.preventDefault(); commitMove(); }
  });
  $('#viewer-move-button').addEventListener('click', commitMove);
  $('#viewer').addEventListener('close', () => {
    const i = viewing;
    viewing = null;
    // back to the photo's thumbnail (re-rendered by a move, so the dialog's own return fails),
    // or to the map when the photo was opened from it
    const grid = S.clusters ? '#clusters' : '#pending-grid'; // (the other one is hidden)
    const back = openedFrom === 'map' ? $('#map') : document.querySelector(`${grid} .thumb[data-index="${i}"]`);
    // after the dialog's own focus return (to the element that opened it, maybe replaced since)
    setTimeout(() => /** @type {HTMLElement | null} */ (back)?.focus(), 0);
    /** @type {HTMLImageElement} */ ($('#viewer-img')).removeAttribute('src');
    if (viewerUrl) URL.revokeObjectURL(viewerUrl);
    viewerUrl = '';
  });
  updateKOptions();
  $('#keep-photos').addEventListener('change', () => {
    S.keepPhotos = /** @type {HTMLInputElement} */ ($('#keep-photos')).checked;
    scheduleSave();
  });
  window.addEventListener('beforeunload', (e) => {
    // the last edits are not in IndexedDB yet (or could not be written): ask before leaving
    if (!S.unsaved) return;
    e.preventDefault();
    e.returnValue = '';
  });
  const restored = restoreSession();
  // Read-only view for tests and the console.
  /** @type {any} */ (window).vlcDemo = {
    get files() { return S.files.map(filePath); },
    get clusters() { return (S.clusters ?? []).map((c) => ({ id: c.id, name: c.name, members: [...c.members] })); },
    get errors() { return S.errors.map((e) => ({ ...e })); },
    get running() { return S.running; },
    get backend() { return S.backend; },
    get result() {
      return S.result && {
        k: S.result.k, kCurve: S.result.kCurve, imagesEncoded: S.result.imagesEncoded, encodeRuns: S.result.encodeRuns, m: S.result.m,
        duplicateGroups: S.result.duplicateGroups,
        embedding2d: Array.from(S.result.embedding2d ?? []), components: S.result.components,
      };
    },
    get thumbnailsReady() { return thumbnailsReady; },
    get unsaved() { return S.unsaved; },
    get missing() { return [...S.missing]; },
    restored,
    get thumbnailUrls() { return [...S.urls]; },
    addFiles,
  };
}

init();
