// Encoder on the tiny CLIP-shaped model (models/tiny-clip), under node with onnxruntime-web's
// WASM backend (and onnxruntime-node as a cross-check). Network: none; the 404 test serves
// files from 127.0.0.1 only.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as ortWeb from 'onnxruntime-web';
import { Encoder, l2NormalizeRows } from '../src/encoder.js';
import { preprocessImage } from '../src/preprocess.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const tiny = `${root}models/tiny-clip/`;
// made by: /usr/bin/python3 models/make_tiny_clip.py --out web/test/fixtures/tiny-clip-broken
//            --broken-output --dim 8 --hidden 4 --width 4 --merges 0   (outputs named "embeddings")
const broken = `${root}web/test/fixtures/tiny-clip-broken/`;
const DIM = 64;  // the tiny model's embedding dimension

const files = {
  vision: readFileSync(`${tiny}vision_model.onnx`),
  text: readFileSync(`${tiny}text_model.onnx`),
  vocab: readFileSync(`${tiny}vocab.json`),
  merges: readFileSync(`${tiny}merges.txt`),
};

/** RGBA image of size w x h filled by f(x, y) -> [r, g, b]. */
function image(w, h, f) {
  const data = new Uint8ClampedArray(w * h * 4);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) data.set([...f(x, y), 255], (y * w + x) * 4);
  }
  return { data, width: w, height: h };
}
const solid = (rgb) => () => rgb;
// deterministic small noise
const jitter = (x, y, a) => ((Math.imul(x + 1, 73856093) ^ Math.imul(y + 1, 19349663)) >>> 0) % (2 * a + 1) - a;

const row = (m, i, dim) => m.subarray(i * dim, (i + 1) * dim);
const dot = (a, b) => a.reduce((s, v, i) => s + v * b[i], 0);

let encoder;
before(async () => {
  encoder = await Encoder.load({ ...files, ort: ortWeb, numThreads: 1 });
});
after(async () => {
  await encoder?.dispose();
});

test('falls back from WebGPU to WASM under node and says why', () => {
  assert.equal(encoder.backend, 'wasm');
  assert.equal(encoder.fallbacks.length, 1);
  assert.equal(encoder.fallbacks[0].executionProvider, 'webgpu');
  assert.match(encoder.fallbackReason, /^webgpu: .+/);
  assert.equal(encoder.dim, DIM);
  assert.equal(encoder.imageSize, 224);
  assert.equal(encoder.contextLength, 77);
});

test('image embeddings: shape, unit norm, determinism, batching, progress', async () => {
  const imgs = [
    image(300, 240, solid([220, 30, 30])),
    image(300, 240, (x, y) => [220 + jitter(x, y, 12), 30 + jitter(y, x, 12), 30 + jitter(x + 7, y, 12)]),
    image(200, 260, solid([30, 40, 220])),
    image(256, 256, (x, y) => ((x >> 4) + (y >> 4)) & 1 ? [255, 255, 255] : [0, 0, 0]),
    image(256, 256, (x) => (x >> 5) & 1 ? [0, 200, 0] : [250, 250, 0]),
  ];
  const tensors = imgs.map((im) => preprocessImage(im));
  const progress = [];
  const e = await encoder.encodeImages(tensors, { batchSize: 2, onProgress: (p) => progress.push(p) });
  assert.ok(e instanceof Float32Array);
  assert.equal(e.length, imgs.length * DIM);
  for (let i = 0; i < imgs.length; i++) assert.ok(Math.abs(Math.hypot(...row(e, i, DIM)) - 1) < 1e-5, `row ${i} norm`);
  assert.deepEqual(progress, [{ done: 2, total: 5 }, { done: 4, total: 5 }, { done: 5, total: 5 }]);

  // deterministic, and independent of the batch size and of how the tensors are passed
  const again = await encoder.encodeImages(tensors, { batchSize: 5 });
  const packed = new Float32Array(tensors.length * tensors[0].length);
  tensors.forEach((t, i) => packed.set(t, i * t.length));
  const fromPacked = await encoder.encodeImages(packed, { batchSize: 1 });
  for (let i = 0; i < e.length; i++) {
    assert.ok(Math.abs(e[i] - again[i]) < 1e-5);
    assert.ok(Math.abs(e[i] - fromPacked[i]) < 1e-5);
  }
  assert.deepEqual(await encoder.encodeImages(tensors, { batchSize: 2 }), e);

  // a red image and a slightly noisy red image are close; red vs blue and the patterns are far
  const cos = (i, j) => dot(row(e, i, DIM), row(e, j, DIM));
  const sameish = cos(0, 1);
  assert.ok(sameish > 0.97, `red vs noisy red: ${sameish}`);
  for (const [i, j] of [[0, 2], [0, 3], [0, 4], [2, 3], [2, 4], [3, 4]]) {
    assert.ok(cos(i, j) < sameish - 0.1, `images ${i} and ${j} should be far apart: cos ${cos(i, j)} vs ${sameish}`);
  }
});

test('text embeddings: shape, unit norm, determinism, different texts differ', async () => {
  const texts = ['a photo of a cat', 'a photo of a dog', 'red car', 'a photo of a cat'];
  const e = await encoder.encodeTexts(texts, { batchSize: 3 });
  assert.equal(e.length, texts.length * DIM);
  for (let i = 0; i < texts.length; i++) assert.ok(Math.abs(Math.hypot(...row(e, i, DIM)) - 1) < 1e-5);
  const cos = (i, j) => dot(row(e, i, DIM), row(e, j, DIM));
  assert.ok(Math.abs(cos(0, 3) - 1) < 1e-5);
  assert.ok(cos(0, 1) < 0.999);
  assert.ok(cos(0, 2) < 0.99);
  const single = await encoder.encodeTexts(['red car']);
  for (let i = 0; i < DIM; i++) assert.ok(Math.abs(single[i] - e[2 * DIM + i]) < 1e-5);
  assert.equal((await encoder.encodeTexts([])).length, 0);
});

test('bad image tensors are rejected with a clear error', async () => {
  await assert.rejects(encoder.encodeImages([new Float32Array(10)]), /image 0: expected a Float32Array of 3x224x224 = 150528 values, got 10/);
  await assert.rejects(encoder.encodeImages(new Float32Array(150529)), /not a multiple of 3x224x224/);
});

test('same embeddings with onnxruntime-node (CPU) injected', async () => {
  const ortNode = await import('onnxruntime-node');
  const enc = await Encoder.load({ ...files, ort: ortNode, executionProviders: ['cpu'], sessionOptions: { intraOpNumThreads: 1 } });
  assert.equal(enc.backend, 'cpu');
  assert.equal(enc.fallbackReason, null);
  const tensors = [preprocessImage(image(240, 240, solid([10, 200, 90])))];
  const a = await enc.encodeImages(tensors);
  const b = await encoder.encodeImages(tensors);
  for (let i = 0; i < DIM; i++) assert.ok(Math.abs(a[i] - b[i]) < 1e-4);
  const ta = await enc.encodeTexts(['sunset at the beach']);
  const tb = await encoder.encodeTexts(['sunset at the beach']);
  for (let i = 0; i < DIM; i++) assert.ok(Math.abs(ta[i] - tb[i]) < 1e-4);
  await enc.dispose();
});

test('file paths and file: URLs load under node; vocab may be a parsed object', async () => {
  const enc = await Encoder.load({
    vision: `${tiny}vision_model.onnx`,
    text: pathToFileURL(`${tiny}text_model.onnx`),
    vocab: JSON.parse(files.vocab.toString('utf8')),
    merges: `${tiny}merges.txt`,
    ort: ortWeb,
    executionProviders: ['wasm'],
  });
  assert.equal(enc.backend, 'wasm');
  assert.equal(enc.fallbackReason, null);
  await enc.dispose();
});

test('a model without the expected output name: clear error naming model and name', async () => {
  await assert.rejects(
    Encoder.load({ vision: `${broken}vision_model.onnx`, ort: ortWeb, executionProviders: ['wasm'] }),
    { name: 'ModelFormatError', message: 'vision model has no output "image_embeds" (found: embeddings)' });
  await assert.rejects(
    Encoder.load({ vision: files.vision, text: `${broken}text_model.onnx`, vocab: files.vocab, merges: files.merges, ort: ortWeb, executionProviders: ['wasm'] }),
    { message: 'text model has no output "text_embeds" (found: embeddings)' });
  // the vision model given as the text model: wrong input name
  await assert.rejects(
    Encoder.load({ text: files.vision, vocab: files.vocab, merges: files.merges, ort: ortWeb, executionProviders: ['wasm'] }),
    { message: 'text model has no input "input_ids" (found: pixel_values)' });
});

test('missing file, non-ONNX bytes, no models: clear errors', async () => {
  await assert.rejects(
    Encoder.load({ vision: `${tiny}no_such_model.onnx`, ort: ortWeb }),
    { message: `cannot read vision model from ${tiny}no_such_model.onnx: no such file` });
  await assert.rejects(
    Encoder.load({ vision: files.vision, text: files.text, vocab: `${tiny}missing-vocab.json`, merges: files.merges, ort: ortWeb }),
    /cannot read vocab\.json from .*missing-vocab\.json: no such file/);
  await assert.rejects(
    Encoder.load({ vision: new Uint8Array([1, 2, 3, 4]), ort: ortWeb, executionProviders: ['wasm'] }),
    /could not run the CLIP models with any execution provider: wasm: vision model: /);
  await assert.rejects(Encoder.load({ ort: ortWeb }), /needs a vision model, a text model, or both/);
  await assert.rejects(Encoder.load({ text: files.text, ort: ortWeb }), /needs the tokenizer files/);
  await assert.rejects(Encoder.load({ vision: 42, ort: ortWeb }), /vision model: expected a URL string, ArrayBuffer or Uint8Array, got number/);
});

test('model URLs: served files load, a 404 names the URL and status', async () => {
  const server = createServer((req, res) => {
    const name = req.url.slice(1);
    if (name in { 'vision_model.onnx': 1, 'text_model.onnx': 1, 'vocab.json': 1, 'merges.txt': 1 }) {
      res.writeHead(200).end(readFileSync(`${tiny}${name}`));
    } else {
      res.writeHead(404, 'Not Found').end('not found');
    }
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${server.address().port}/`;
  try {
    const enc = await Encoder.load({
      vision: `${base}vision_model.onnx`, text: `${base}text_model.onnx`,
      vocab: `${base}vocab.json`, merges: `${base}merges.txt`, ort: ortWeb, executionProviders: ['wasm'],
    });
    assert.equal(enc.dim, DIM);
    await enc.dispose();
    await assert.rejects(
      Encoder.load({ vision: `${base}nope/vision_model.onnx`, ort: ortWeb }),
      { message: `cannot fetch vision model from ${base}nope/vision_model.onnx: HTTP 404 Not Found` });
  } finally {
    server.closeAllConnections?.();
    await new Promise((r) => server.close(r));
  }
});

test('l2NormalizeRows', () => {
  const m = Float32Array.from([3, 4, 0, 0]);
  assert.deepEqual(Array.from(l2NormalizeRows(m, 2)), [0.6000000238418579, 0.800000011920929, 0, 0]);
});
