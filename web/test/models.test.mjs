// Models by name or URL (web/src/models.js) and the vocabulary built on the device
// (web/src/vocabulary.js), under node with onnxruntime-node, against the local hub of
// web/testing/hub.mjs: the Transformers.js layout, dtype variants, tokenizer.json, 404s, a download
// cut short, cache hits; trimmed text batches against the 77-token path; the device-built
// vocabulary against the committed node-built asset (models/tiny-clip/nouns.*).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { resolveModel, locateModel, findVocabularyAsset } from '../src/models.js';
import { Encoder } from '../src/encoder.js';
import { ClipTokenizer } from '../src/tokenizer.js';
import { deviceVocabularyAsset, loadVocabulary, buildVocabularyAsset, parseWordList } from '../src/vocabulary.js';
import { runPipeline } from '../src/photo_session.js';
import { serveHub, hubRepos, TINY_NOUN_SELECTION as TINY_SELECTION } from '../testing/hub.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));

let hub;
let cacheDir;
before(async () => {
  hub = await serveHub();
  cacheDir = mkdtempSync(join(tmpdir(), 'vlc-cache-'));
});
after(async () => {
  await hub?.close();
  rmSync(cacheDir, { recursive: true, force: true });
});

const textEncoder = (m) => Encoder.load({ text: m.text, vocab: m.vocab, merges: m.merges, tokenizerJson: m.tokenizerJson, ort, executionProviders: ['cpu'] });

test('a hub id with no hub configured fails naming hubUrl and VLC_HUB_URL', async () => {
  const saved = process.env.VLC_HUB_URL;
  delete process.env.VLC_HUB_URL;
  try {
    await assert.rejects(resolveModel('Xenova/clip-vit-base-patch32', { cacheDir }),
      /model "Xenova\/clip-vit-base-patch32" is a hub id, but no hub is configured: set the hubUrl option \(or the VLC_HUB_URL environment variable\)/);
  } finally {
    if (saved !== undefined) process.env.VLC_HUB_URL = saved;
  }
  await assert.rejects(resolveModel('a/b', { hubUrl: 'ftp://x', cacheDir }), /hubUrl: expected an http\(s\) URL/);
  await assert.rejects(resolveModel('./no/such/folder', { cacheDir }), /model: no folder \.\/no\/such\/folder/);
  await assert.rejects(resolveModel('test/tiny-clip', { hubUrl: hub.base, dtype: 'fp8', cacheDir }), /dtype: unknown variant "fp8"; expected one of fp32, fp16, q8/);
});

test('hub id: the Transformers.js layout, tokenizer.json, progress in bytes, then a cache hit with no request', async () => {
  const seen = [];
  const before = hub.requests.length;
  const m = await resolveModel('test/tiny-clip', { hubUrl: `${hub.base}/`, cacheDir, onDownload: (p) => seen.push(p) });
  assert.equal(m.files.vision, `${hub.base}/test/tiny-clip/resolve/main/onnx/vision_model.onnx`);
  assert.equal(m.files.tokenizer, `${hub.base}/test/tiny-clip/resolve/main/tokenizer.json`);
  assert.equal(m.vocab, undefined);
  assert.equal(m.vision.byteLength, hubRepos()['test/tiny-clip']['onnx/vision_model.onnx'].length);
  const last = seen.filter((p) => p.file === m.files.vision).at(-1);
  assert.equal(last.loaded, m.vision.byteLength);
  assert.equal(last.total, m.vision.byteLength, 'total from Content-Length');
  assert.ok(hub.requests.slice(before).includes('/test/tiny-clip/resolve/main/vocab.json'), 'vocab.json asked first, 404');

  const again = hub.requests.length;
  const cached = await resolveModel('test/tiny-clip', { hubUrl: hub.base, cacheDir });
  assert.deepEqual(hub.requests.slice(again), [], 'second resolve: everything from the cache folder');
  assert.deepEqual(cached.text, m.text);

  // tokenizer.json and vocab.json + merges.txt give the same ids
  const a = ClipTokenizer.fromTokenizerJson(new TextDecoder().decode(m.tokenizerJson));
  const b = ClipTokenizer.fromText(readFileSync(join(root, 'models/tiny-clip/vocab.json'), 'utf8'), readFileSync(join(root, 'models/tiny-clip/merges.txt'), 'utf8'));
  for (const s of ['a photo of the large checkerboard.', 'itap of a dog.']) assert.deepEqual(Array.from(a.tokenize(s).inputIds), Array.from(b.tokenize(s).inputIds));
  assert.throws(() => ClipTokenizer.fromTokenizerJson('{"model":{"type":"WordPiece"}}'), /tokenizer\.json: expected a BPE model with "vocab" and "merges" \(found model type "WordPiece"\)/);
});

test('dtype picks the variant; a missing variant lists the URLs tried with their 404s', async () => {
  const q = await resolveModel('test/tiny-clip', { hubUrl: hub.base, dtype: 'q8', cache: false });
  assert.match(q.files.vision, /onnx\/vision_model_quantized\.onnx$/);
  assert.match(q.files.text, /onnx\/text_model_quantized\.onnx$/);
  assert.match(q.id, /#q8$/, 'the variant is part of the identity (keys the built vocabulary)');
  await assert.rejects(resolveModel('test/tiny-clip', { hubUrl: hub.base, dtype: 'fp16', cache: false }),
    /^Error: model test\/tiny-clip@main: no vision model for dtype fp16; tried http:\/\/127\.0\.0\.1:\d+\/test\/tiny-clip\/resolve\/main\/onnx\/vision_model_fp16\.onnx \(HTTP 404\), http:\/\/127\.0\.0\.1:\d+\/test\/tiny-clip\/resolve\/main\/vision_model_fp16\.onnx \(HTTP 404\)$/);
  await assert.rejects(resolveModel('test/no-such-model', { hubUrl: hub.base, cache: false }), /no-such-model\/resolve\/main\/onnx\/vision_model\.onnx \(HTTP 404\)/);
  const vm = await resolveModel('test/tiny-clip-vm', { hubUrl: hub.base, cache: false });
  assert.ok(vm.vocab && vm.merges && !vm.tokenizerJson, 'vocab.json + merges.txt when the repo has them');
});

test('a download cut short is an error naming the URL and the byte counts, and is not cached', async () => {
  const opts = { hubUrl: hub.base, cacheDir };
  await assert.rejects(resolveModel('test/tiny-clip-cut', opts),
    /download of vision model from http:\/\/127\.0\.0\.1:\d+\/test\/tiny-clip-cut\/resolve\/main\/onnx\/vision_model\.onnx (broke off after \d+ of \d+ bytes|is incomplete: \d+ of \d+ bytes)/);
  const n = hub.requests.length;
  await assert.rejects(resolveModel('test/tiny-clip-cut', opts), /broke off|incomplete/);
  assert.ok(hub.requests.slice(n).includes('/test/tiny-clip-cut/resolve/main/onnx/vision_model.onnx'), 'asked again: nothing was cached');
});

test('local folders in either layout, and file: URLs', async () => {
  const flat = await resolveModel(join(root, 'models/tiny-clip'));
  assert.equal(flat.files.vision, join(root, 'models/tiny-clip/vision_model.onnx'));
  assert.ok(flat.vocab && flat.merges);
  assert.ok(await findVocabularyAsset(join(root, 'models/tiny-clip')), 'the flat folder ships nouns.json + nouns.f16.bin');
  const dir = mkdtempSync(join(tmpdir(), 'vlc-hub-layout-'));
  for (const [name, bytes] of Object.entries(hubRepos()['test/tiny-clip'])) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), bytes);
  }
  const local = await resolveModel(`file://${dir}`, { dtype: 'quantized' });
  assert.equal(local.files.vision, join(dir, 'onnx/vision_model_quantized.onnx'));
  assert.equal(await findVocabularyAsset(dir), null);
  assert.equal((await locateModel('test/tiny-clip', { hubUrl: 'http://127.0.0.1:9' })).base, 'http://127.0.0.1:9/test/tiny-clip/resolve/main/');
  rmSync(dir, { recursive: true, force: true });
});

test('text batches cut to their longest tokenisation give the 77-token embeddings (max |Δ| < 1e-6)', async () => {
  const dyn = await textEncoder(await resolveModel('test/tiny-clip-vm', { hubUrl: hub.base, cacheDir }));
  const fixed = await textEncoder(await resolveModel(join(root, 'models/tiny-clip')));
  assert.equal(dyn.textTakesAnyLength, true);
  assert.equal(fixed.textTakesAnyLength, false);
  const texts = ['itap of a dog.', 'a photo of the small checkerboard.', 'x', 'art of the red car in a video game, very long '.repeat(3)];
  const cut = await dyn.encodeTexts(texts, { batchSize: 4 });
  const full = await dyn.encodeTexts(texts, { batchSize: 4, trimPadding: false });
  const ref = await fixed.encodeTexts(texts, { batchSize: 4 });
  let worst = 0;
  for (let i = 0; i < cut.length; i++) worst = Math.max(worst, Math.abs(cut[i] - full[i]), Math.abs(cut[i] - ref[i]));
  assert.ok(worst < 1e-6, `max |Δ| = ${worst}`);
  await dyn.dispose();
  await fixed.dispose();
});

test('the vocabulary built on the device equals the node-built asset (max |Δ| ≤ 2e-3, float16), is cached, and can be cancelled', async () => {
  const dyn = await textEncoder(await resolveModel('test/tiny-clip-vm', { hubUrl: hub.base, cacheDir }));
  const progress = [];
  const built = await deviceVocabularyAsset(dyn, 'tiny-test', { nounSelection: TINY_SELECTION, cacheDir, batchSize: 64, onProgress: (p) => progress.push(p) });
  assert.equal(built.cached, false);
  assert.equal(progress.at(-1).done, progress.at(-1).total);
  assert.equal(progress.at(-1).total, 312 * 7);
  const mine = await loadVocabulary(built);
  const ref = await loadVocabulary({ json: join(root, 'models/tiny-clip/nouns.json'), bin: join(root, 'models/tiny-clip/nouns.f16.bin') });
  assert.deepEqual(mine.words, ref.words);
  assert.deepEqual(mine.depths, ref.depths);
  let worst = 0;
  for (let i = 0; i < ref.embeddings.length; i++) worst = Math.max(worst, Math.abs(mine.embeddings[i] - ref.embeddings[i]));
  assert.ok(worst <= 2e-3, `max |Δ| = ${worst}`);

  const again = await deviceVocabularyAsset(dyn, 'tiny-test', { nounSelection: TINY_SELECTION, cacheDir, onProgress: () => assert.fail('no build on a cache hit') });
  assert.equal(again.cached, true);
  assert.deepEqual(again.bin, built.bin);

  const ac = new AbortController();
  await assert.rejects(deviceVocabularyAsset(dyn, 'other-model', {
    nounSelection: TINY_SELECTION, cache: false, batchSize: 16, signal: ac.signal,
    onProgress: (p) => { if (p.done > 0) ac.abort(); },
  }), { name: 'AbortError' });
  await assert.rejects(deviceVocabularyAsset(dyn, 'x', { nounList: join(root, 'no-such-list.tsv'), cache: false }), /cannot read noun list from \S+no-such-list\.tsv: no such file/);
  assert.deepEqual(parseWordList('word\tdepth\noak\t9\nfir\t\n'), [{ word: 'oak', depth: 9 }, { word: 'fir', depth: -1 }]);
  assert.ok(typeof buildVocabularyAsset === 'function');
  await dyn.dispose();
});

test('runPipeline with a hub id: downloads, builds the vocabulary on the device, clusters and names', async () => {
  const pixels = [];
  for (let g = 0; g < 2; g++) {
    for (let i = 0; i < 4; i++) {
      const data = new Uint8ClampedArray(40 * 40 * 4);
      for (let p = 0; p < 40 * 40; p++) data.set(g ? [20, 30 + i * 5, 220, 255] : [230 - i * 5, 40, 20, 255], 4 * p);
      pixels.push({ name: `g${g}-${i}`, data, width: 40, height: 40 });
    }
  }
  const stages = new Set();
  const r = await runPipeline(pixels, {
    model: 'test/tiny-clip', hubUrl: hub.base, cacheDir, k: 2, seed: 0, ort, executionProviders: ['cpu'],
    nounSelection: TINY_SELECTION, onProgress: (p) => stages.add(p.stage),
  });
  assert.ok(stages.has('download') && stages.has('vocabulary'), [...stages].join(','));
  assert.equal(r.clusters.length, 2);
  assert.deepEqual(r.clusters.map((c) => c.members.length).sort(), [4, 4]);
  assert.ok(r.clusters.every((c) => c.name), 'every group is named');
});

test('a server that answers every path with its HTML page (a dev server\'s fallback) is not taken for the model files', async () => {
  const files = hubRepos()['test/tiny-clip-vm'];
  const fakeFetch = async (url) => {
    const name = String(url).split('/resolve/main/')[1];
    const flat = { 'vision_model.onnx': files['onnx/vision_model.onnx'], 'text_model.onnx': files['onnx/text_model.onnx'], 'vocab.json': files['vocab.json'], 'merges.txt': files['merges.txt'] }[name];
    return flat
      ? new Response(flat, { headers: { 'content-type': 'application/octet-stream', 'content-length': String(flat.length) } })
      : new Response('<!doctype html><title>app</title>', { headers: { 'content-type': 'text/html' } });
  };
  const m = await resolveModel('test/spa', { hubUrl: 'http://127.0.0.1:9', fetch: fakeFetch, cache: false });
  assert.match(m.files.vision, /\/resolve\/main\/vision_model\.onnx$/, 'the flat file after the HTML answer for onnx/vision_model.onnx');
  await assert.rejects(resolveModel('test/spa', { hubUrl: 'http://127.0.0.1:9', fetch: fakeFetch, cache: false, dtype: 'q4' }),
    /no vision model for dtype q4; tried \S+onnx\/vision_model_q4\.onnx \(an HTML page, not the file\)/);
});
