// A model hub on 127.0.0.1 for the tests: the tiny CLIP model in the layout of the public
// Transformers.js CLIP exports, served as <hub>/<owner>/<name>/resolve/main/<file> with CORS (the
// browser tests fetch it from another origin) and Content-Length. Repositories:
//   test/tiny-clip        onnx/{vision,text}_model{,_quantized}.onnx, tokenizer.json only
//   test/tiny-clip-vm     onnx/{vision,text}_model.onnx, vocab.json + merges.txt
//   test/tiny-clip-cut    onnx/vision_model.onnx announced at full length, cut off half way
// The text model is the --dynamic-length one (symbolic sequence_length, as real exports). Every
// request path is logged in `requests`.
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const read = (/** @type {string} */ p) => readFileSync(root + p);

/** The selection models/tiny-clip/nouns.* was built with (models/build_text_assets.mjs usage). */
export const TINY_NOUN_SELECTION = Object.freeze({
  limit: 300, minDepth: 5, lettersOnly: true,
  include: ['red', 'green', 'blue', 'dog', 'cat', 'car', 'tree', 'house', 'stripe', 'circle', 'square', 'checkerboard'],
});

/** tokenizer.json of the tiny model (HuggingFace format) from its vocab.json + merges.txt. */
export function tinyTokenizerJson() {
  const vocab = JSON.parse(read('models/tiny-clip/vocab.json').toString('utf8'));
  const merges = read('models/tiny-clip/merges.txt').toString('utf8').split('\n').filter((l) => l && !l.startsWith('#version'));
  return Buffer.from(JSON.stringify({ version: '1.0', model: { type: 'BPE', vocab, merges } }));
}

/** @returns {Record<string, Record<string, Buffer>>} repo -> file -> bytes */
export function hubRepos() {
  const vision = read('models/tiny-clip/vision_model.onnx');
  const text = read('web/test/fixtures/tiny-clip-dynamic/text_model.onnx');
  return {
    'test/tiny-clip': {
      'onnx/vision_model.onnx': vision,
      'onnx/text_model.onnx': text,
      'onnx/vision_model_quantized.onnx': vision,
      'onnx/text_model_quantized.onnx': text,
      'tokenizer.json': tinyTokenizerJson(),
    },
    'test/tiny-clip-vm': {
      'onnx/vision_model.onnx': vision,
      'onnx/text_model.onnx': text,
      'vocab.json': read('models/tiny-clip/vocab.json'),
      'merges.txt': read('models/tiny-clip/merges.txt'),
    },
    'test/tiny-clip-cut': {
      'onnx/vision_model.onnx': vision,
      'onnx/text_model.onnx': text,
      'vocab.json': read('models/tiny-clip/vocab.json'),
      'merges.txt': read('models/tiny-clip/merges.txt'),
    },
  };
}

export async function serveHub() {
  const repos = hubRepos();
  /** @type {string[]} */
  const requests = [];
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://127.0.0.1').pathname);
    requests.push(path);
    const cors = { 'access-control-allow-origin': '*', 'access-control-expose-headers': 'content-length' };
    const m = /^\/([^/]+\/[^/]+)\/resolve\/main\/(.+)$/.exec(path);
    const body = m && repos[m[1]]?.[m[2]];
    if (!body) {
      res.writeHead(404, { ...cors, 'content-type': 'text/plain' });
      res.end('not found');
      return;
    }
    res.writeHead(200, { ...cors, 'content-type': 'application/octet-stream', 'content-length': String(body.length) });
    if (m[1] === 'test/tiny-clip-cut' && m[2] === 'onnx/vision_model.onnx') {
      // half the announced bytes, then the connection drops: a download cut short
      res.write(body.subarray(0, body.length >> 1), () => res.destroy());
      return;
    }
    res.end(body);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
  const address = /** @type {import('node:net').AddressInfo} */ (server.address());
  return {
    base: `http://127.0.0.1:${address.port}`,
    repos,
    requests,
    close: () => new Promise((resolve) => { server.closeAllConnections?.(); server.close(() => resolve(undefined)); }),
  };
}
