#!/usr/bin/env node
// `npx vlcluster`: from a folder of photos to named groups with a CLIP model, under node.
//
//   vlcluster embed PHOTOS_DIR --model ID_OR_PATH --out DIR
//       CLIP image embeddings of every photo, and the noun embeddings the native
//       `vlcluster cluster` reads: images.npy, files.txt, nouns_b0..6.npy, words.txt
//   vlcluster photos PHOTOS_DIR --model ID_OR_PATH [--out DIR]
//       embed, then cluster (the native `vlcluster` when it is on PATH, else the WASM core), and
//       write result.json and index.html (a contact sheet of the groups with their names)
//
// The same code as the npm package's browser path: models.js (model by name or URL, download,
// cache), preprocess.js (CLIP preprocessing), encoder.js, vocabulary.js (the noun vocabulary,
// built on this machine on first use and cached), cluster.js (the WASM core).
import { readdirSync, statSync, readFileSync, writeFileSync, mkdirSync, existsSync, realpathSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFileSync, spawnSync } from 'node:child_process';
import { Encoder } from '../src/encoder.js';
import { preprocessImage } from '../src/preprocess.js';
import { resolveModel, findVocabularyAsset } from '../src/models.js';
import { TEMPLATES, loadVocabulary, deviceVocabularyAsset } from '../src/vocabulary.js';
import { filterNouns, clusterEmbeddings, defaultQ, MIN_IMAGE_SIDE } from '../src/cluster.js';
import { decodeImageBytes } from './decode.js';
import { EmbeddingStore, progressBar, readNpy, writeNpy } from './files.js';
import { contactSheet } from './sheet.js';

const USAGE = `usage:
  vlcluster embed PHOTOS_DIR --model ID_OR_PATH --out DIR [options]
  vlcluster photos PHOTOS_DIR --model ID_OR_PATH [--out DIR] [options]

  --model M        a model folder (local path or URL) or a hub id such as Xenova/clip-vit-base-patch32
                   (default $VLC_MODEL); folders in the Transformers.js layout (onnx/*.onnx) or flat
  --hub-url URL    base URL of the model hub for hub ids (default $VLC_HUB_URL; none is built in)
  --dtype D        model variant: fp32 (default), fp16, q8 (= quantized), int8, uint8, q4, bnb4
  --out DIR        output folder (photos: default PHOTOS_DIR/vlcluster)
  --batch N        images per encoder run (default 16)
  --all-nouns      write the whole vocabulary to nouns_b*.npy, not only the nouns kept for these photos
  --nouns FILE     noun list (one per line, or word<TAB>depth TSV) instead of the packaged WordNet nouns
  --k K|auto       number of groups (default auto)
  --engine E       photos: native, wasm or auto (default: native when \`vlcluster\` on PATH is the native CLI)
  --cache-dir DIR  downloads and built vocabularies (default $VLC_CACHE_DIR, $XDG_CACHE_HOME/vlcluster)
  --no-cache       download and build everything again, keep nothing
  --quiet          no progress output

Reads JPEG, PNG and GIF (first frame), EXIF orientation applied; other files are listed and skipped.
An interrupted embed goes on where it stopped (DIR/.embeddings.*).`;

/** Failure of the user's input: printed without a stack, exit code 2. */
class UsageError extends Error {}

/** @param {string[]} argv */
export function parseArgs(argv) {
  const [command, ...rest] = argv;
  /** @type {Record<string, any>} */
  const o = { command, batch: 16, k: 'auto', engine: 'auto', cache: true };
  const flags = { '--all-nouns': 'allNouns', '--no-cache': 'noCache', '--quiet': 'quiet' };
  const values = { '--model': 'model', '--hub-url': 'hubUrl', '--dtype': 'dtype', '--out': 'out', '--batch': 'batch', '--nouns': 'nouns', '--k': 'k', '--engine': 'engine', '--cache-dir': 'cacheDir' };
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    if (a === '--help' || a === '-h') o.help = true;
    else if (a in flags) o[/** @type {keyof typeof flags} */ (flags[a])] = true;
    else if (a in values) {
      if (i + 1 >= rest.length || rest[i + 1].startsWith('--')) throw new UsageError(`${a}: missing value`);
      o[/** @type {string} */ (values[/** @type {keyof typeof values} */ (a)])] = rest[++i];
    } else if (a.startsWith('-')) throw new UsageError(`unknown option ${a}`);
    else if (o.photos === undefined) o.photos = a;
    else throw new UsageError(`unexpected argument ${a} (one PHOTOS_DIR)`);
  }
  if (o.help || command === undefined || command === '--help' || command === '-h') return { ...o, help: true };
  if (!['embed', 'photos'].includes(command)) throw new UsageError(`unknown command ${command} (embed or photos)`);
  if (!o.photos) throw new UsageError(`${command}: give the folder of photos`);
  o.model ??= process.env.VLC_MODEL;
  if (!o.model) throw new UsageError('--model: missing (a model folder, URL, or hub id such as Xenova/clip-vit-base-patch32; or set VLC_MODEL)');
  if (command === 'embed' && !o.out) throw new UsageError('embed: --out DIR is missing (where images.npy, files.txt, nouns_b*.npy and words.txt go)');
  o.out ??= join(o.photos, 'vlcluster');
  const batch = Number(o.batch);
  if (!Number.isInteger(batch) || batch < 1) throw new UsageError(`--batch: expected a positive integer, got ${JSON.stringify(String(o.batch))}`);
  o.batch = batch;
  if (o.k !== 'auto' && !(Number.isInteger(Number(o.k)) && Number(o.k) >= 1)) throw new UsageError(`--k: expected a positive integer or auto, got ${JSON.stringify(o.k)}`);
  if (o.k !== 'auto') o.k = Number(o.k);
  if (!['auto', 'native', 'wasm'].includes(o.engine)) throw new UsageError(`--engine: expected native, wasm or auto, got ${JSON.stringify(o.engine)}`);
  if (o.noCache) o.cache = false;
  return o;
}

/**
 * Every regular file under `dir` (hidden ones and the output folder excepted), sorted.
 * @param {string} dir @param {string} skip
 */
function listPhotos(dir, skip) {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UsageError(`${dir}: no such folder of photos`);
  /** @type {string[]} */
  const out = [];
  const walk = (/** @type {string} */ d) => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (e.name.startsWith('.')) continue;
      const p = join(d, e.name);
      if (e.isDirectory()) { if (resolve(p) !== resolve(skip)) walk(p); } else if (e.isFile()) out.push(p);
    }
  };
  walk(dir);
  return out;
}

/** @param {{quiet?: boolean}} o @param {string} msg */
const say = (o, msg) => { if (!o.quiet) process.stderr.write(`${msg}\n`); };

/** The encoder and vocabulary of --model (downloads and the first vocabulary build show progress). */
async function loadModel(/** @type {Record<string, any>} */ o) {
  const ort = await import('onnxruntime-node').catch((e) => {
    throw new Error(`onnxruntime-node is needed on the command line (npm install onnxruntime-node): ${e.message}`);
  });
  const source = { hubUrl: o.hubUrl, dtype: o.dtype, cache: o.cache, cacheDir: o.cacheDir };
  /** @type {Map<string, ReturnType<typeof progressBar>>} */
  const bars = new Map();
  const model = await resolveModel(o.model, {
    ...source,
    onDownload: ({ file, loaded, total }) => {
      if (o.quiet || !total || loaded === total && !bars.has(file)) return;  // cache hits print nothing
      if (!bars.has(file)) bars.set(file, progressBar(`download ${file.split('/').pop()} (bytes)`, total));
      bars.get(file)?.update(loaded);
    },
  });
  const encoder = await Encoder.load({
    vision: model.vision, text: model.text, vocab: model.vocab, merges: model.merges, tokenizerJson: model.tokenizerJson,
    ort, executionProviders: ['cpu'],
  });
  let bar;
  const asset = await deviceVocabularyAsset(encoder, model.id, {
    prebuilt: () => findVocabularyAsset(o.model, source),
    nounList: o.nouns, cache: o.cache, cacheDir: o.cacheDir,
    onProgress: ({ done, total }) => {
      if (o.quiet) return;
      bar ??= (say(o, 'building the noun vocabulary with the text model (once per model; cached)'), progressBar('vocabulary texts', total));
      bar.update(done);
    },
  });
  return { encoder, model, vocabulary: await loadVocabulary(asset) };
}

/** A file's identity for resuming: path, size and modification time. @param {string} path @param {string} root */
function fileKey(path, root) {
  const st = statSync(path);
  return `${relative(root, path)}\t${st.size}\t${Math.round(st.mtimeMs)}`;
}

/**
 * `embed`: image embeddings of every photo (resuming), then the noun embeddings.
 * @param {Record<string, any>} o parseArgs's
 */
export async function embed(o) {
  const files = listPhotos(o.photos, o.out);
  if (!files.length) throw new UsageError(`${o.photos}: no files`);
  mkdirSync(o.out, { recursive: true });
  const { encoder, model, vocabulary } = await loadModel(o);
  try {
    const d = encoder.dim;
    const store = new EmbeddingStore(o.out, model.id, d);
    const keys = files.map((f) => fileKey(f, o.photos));
    const todo = files.map((_, i) => i).filter((i) => !store.done.has(keys[i]));
    if (files.length - todo.length) say(o, `${files.length - todo.length} of ${files.length} files already embedded (resuming)`);
    /** @type {{file: string, message: string}[]} */
    const errors = [];
    const bar = o.quiet ? null : progressBar('images', files.length);
    let done = files.length - todo.length;
    for (let start = 0; start < todo.length; start += o.batch) {
      const batch = todo.slice(start, start + o.batch);
      /** @type {Float32Array[]} */
      const tensors = [];
      const batchKeys = [];
      for (const i of batch) {
        try {
          const pixels = await decodeImageBytes(new Uint8Array(readFileSync(files[i])));
          if (pixels.width < MIN_IMAGE_SIDE || pixels.height < MIN_IMAGE_SIDE) {
            throw new Error(`image is ${pixels.width}×${pixels.height} pixels; images smaller than ${MIN_IMAGE_SIDE}×${MIN_IMAGE_SIDE} are skipped`);
          }
          tensors.push(preprocessImage(pixels, { size: encoder.imageSize }));
          batchKeys.push(keys[i]);
        } catch (e) {
          errors.push({ file: relative(o.photos, files[i]), message: /** @type {Error} */ (e).message });
        }
      }
      if (tensors.length) store.add(batchKeys, await encoder.encodeImages(tensors, { batchSize: o.batch }));
      done += batch.length;
      bar?.update(done, files.length - todo.length);
    }
    const rows = files.map((_, i) => ({ file: relative(o.photos, files[i]), row: store.done.get(keys[i]) })).filter((r) => r.row);
    for (const e of errors) say(o, `skipped ${e.file}: ${e.message}`);
    if (rows.length < 2) throw new Error(`only ${rows.length} of ${files.length} files could be read as images; clustering needs at least 2`);
    const images = new Float32Array(rows.length * d);
    rows.forEach((r, i) => images.set(/** @type {Float32Array} */ (r.row), i * d));
    writeNpy(join(o.out, 'images.npy'), images, [rows.length, d]);
    writeFileSync(join(o.out, 'files.txt'), `${rows.map((r) => r.file).join('\n')}\n`);
    writeFileSync(join(o.out, 'skipped.txt'), errors.map((e) => `${e.file}\t${e.message}\n`).join(''));

    // The nouns: those kept for these photos (docs/method.md §1) or all, under each template.
    const kept = o.allNouns
      ? vocabulary.words.map((_, i) => i)
      : Array.from(/** @type {Int32Array} */ ((await filterNouns(images, vocabulary.embeddings, { dim: d, k: o.k, seed: 0 })).kept));
    const words = kept.map((i) => vocabulary.words[i]);
    const depths = kept.map((i) => vocabulary.depths?.[i] ?? -1);
    const nounBar = o.quiet ? null : progressBar('noun texts', words.length * TEMPLATES.length);
    for (const [b, t] of TEMPLATES.entries()) {
      const e = await encoder.encodeTexts(words.map((w) => t.replace('{}', w)), {
        batchSize: 256, onProgress: ({ done: n }) => nounBar?.update(b * words.length + n),
      });
      writeNpy(join(o.out, `nouns_b${b}.npy`), e, [words.length, d]);
    }
    // A TSV with a depth column: what the native CLI's --vocab reads for --generic-levels too.
    writeFileSync(join(o.out, 'words.txt'), `word\tdepth\n${words.map((w, i) => `${w}\t${depths[i]}`).join('\n')}\n`);
    say(o, `wrote ${o.out}: images.npy (${rows.length}×${d}), files.txt, nouns_b0..${TEMPLATES.length - 1}.npy (${words.length}×${d}), words.txt; ${errors.length} skipped (skipped.txt)`);
    return { images: rows.length, skipped: errors, nouns: words.length, dim: d };
  } finally {
    await encoder.dispose();
  }
}

/**
 * The native CLI's arguments for an `embed` folder of m photos. q is the WASM path's default
 * (defaultQ: 30, lowered for small sets), so both engines cluster alike; the native CLI's own
 * default of 30 is an error below 31 photos.
 * @param {string} dir @param {Record<string, any>} o @param {number} m
 */
function nativeArgs(dir, o, m) {
  const nouns = TEMPLATES.flatMap((_, b) => ['--nouns', join(dir, `nouns_b${b}.npy`)]);
  return ['cluster', '--images', join(dir, 'images.npy'), ...nouns, '--vocab', join(dir, 'words.txt'), '--k', String(o.k),
    '--q', String(defaultQ(m)), '--seed', '0', '--out', join(dir, 'native-result.json'), '--quiet'];
}

/** `vlcluster` on PATH when it is the native CLI (and not this script, installed under the same name). */
export function findNative() {
  const probe = spawnSync('vlcluster', ['--help'], { encoding: 'utf8', timeout: 20000 });
  return !probe.error && /cluster --images/.test(`${probe.stdout}${probe.stderr}`) ? 'vlcluster' : null;
}

/**
 * Labels and names from the native CLI's result.json.
 * @param {string} dir @param {Record<string, any>} o @param {string} exe @param {number} m
 */
function clusterNative(dir, o, exe, m) {
  try {
    execFileSync(exe, nativeArgs(dir, o, m), { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  } catch (e) {
    throw new Error(`the native vlcluster failed on ${dir} (--engine wasm uses the WASM core instead): ${String(/** @type {any} */ (e).stderr ?? /** @type {Error} */ (e).message).trim()}`);
  }
  const r = JSON.parse(readFileSync(join(dir, 'native-result.json'), 'utf8'));
  return { labels: r.labels, k: r.k, names: r.names.map((/** @type {any} */ n) => ({ cluster: n.cluster, words: n.words, shares: n.shares })) };
}

/** Labels and names from the WASM core, on the same files. @param {string} dir @param {Record<string, any>} o */
async function clusterWasm(dir, o) {
  const images = readNpy(join(dir, 'images.npy'));
  const templates = TEMPLATES.map((_, b) => readNpy(join(dir, `nouns_b${b}.npy`)).data);
  const words = readFileSync(join(dir, 'words.txt'), 'utf8').split('\n').slice(1).filter(Boolean).map((l) => l.split('\t')[0]);
  const r = await clusterEmbeddings(images.data, templates, {
    numImages: images.shape[0], dim: images.shape[1], k: o.k, seed: 0, words, nameClusters: true,
  });
  return { labels: Array.from(r.labels), k: r.k, names: r.names.map((/** @type {any} */ n) => ({ cluster: n.cluster, words: n.words, shares: Array.from(n.shares) })) };
}

/**
 * `photos`: embed, cluster, and write result.json + index.html.
 * @param {Record<string, any>} o parseArgs's
 */
export async function photos(o) {
  const embedded = await embed(o);
  const native = o.engine === 'wasm' ? null : findNative();
  if (o.engine === 'native' && !native) throw new UsageError('--engine native: no native `vlcluster` on PATH (build native/ with CMake, or use --engine wasm)');
  say(o, `clustering ${embedded.images} photos with ${native ? 'the native vlcluster' : 'the WASM core'}`);
  const r = native ? clusterNative(o.out, o, native, embedded.images) : await clusterWasm(o.out, o);
  const files = readFileSync(join(o.out, 'files.txt'), 'utf8').split('\n').filter(Boolean);
  const groups = r.names.map((/** @type {any} */ n) => ({
    id: n.cluster,
    name: n.words?.[0] ?? '',
    runnersUp: (n.words ?? []).slice(1, 4),
    files: files.filter((_, i) => r.labels[i] === n.cluster),
  })).sort((a, b) => b.files.length - a.files.length);
  const result = { tool: 'vlcluster photos', engine: native ? 'native' : 'wasm', model: o.model, k: r.k, photos: resolve(o.photos), groups, skipped: embedded.skipped };
  writeFileSync(join(o.out, 'result.json'), `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(join(o.out, 'index.html'), contactSheet(result, relative(o.out, o.photos) || '.'));
  say(o, `${groups.length} groups: ${groups.map((g) => `${g.name} (${g.files.length})`).join(', ')}`);
  say(o, `wrote ${join(o.out, 'result.json')} and ${join(o.out, 'index.html')}`);
  return result;
}

async function main() {
  let o;
  try {
    o = parseArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`vlcluster: ${/** @type {Error} */ (e).message}\n${USAGE}\n`);
    process.exit(2);
  }
  if (o.help) { process.stdout.write(`${USAGE}\n`); return; }
  try {
    if (o.command === 'embed') await embed(o);
    else await photos(o);
  } catch (e) {
    process.stderr.write(`vlcluster ${o.command}: ${/** @type {Error} */ (e).message}\n`);
    process.exit(e instanceof UsageError ? 2 : 1);
  }
}

// Run as a program (also through npm's bin symlink), not when imported by the tests.
if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) main();
