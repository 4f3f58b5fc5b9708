// Test data shared by the node tests of web/test/ (outside that folder, where node --test would run
// this file as a test): small clustered embeddings, and the tiny CLIP model as in-memory files.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** m image rows of d values in 3 groups (image i in group i % 3) around random centres, B templates of L nouns. */
export function toy(m = 30, d = 16, l = 20, b = 7) {
  let s = 12345;
  const rnd = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32) - 0.5;
  const centres = Array.from({ length: 3 }, () => Array.from({ length: d }, rnd));
  const images = new Float32Array(m * d);
  for (let i = 0; i < m; i++) for (let c = 0; c < d; c++) images[i * d + c] = centres[i % 3][c] * 4 + rnd();
  const templates = Array.from({ length: b }, () => Float32Array.from({ length: l * d }, rnd));
  return { images, templates, m, d, l, b };
}

/** The tiny CLIP-shaped model of models/tiny-clip/ as clusterImages' `model` (bytes, so no fetch). */
export function tinyModel(/** @type {string} */ id) {
  const tiny = fileURLToPath(new URL('../../models/tiny-clip/', import.meta.url));
  return {
    id,
    vision: readFileSync(`${tiny}vision_model.onnx`),
    text: readFileSync(`${tiny}text_model.onnx`),
    vocab: readFileSync(`${tiny}vocab.json`),
    merges: readFileSync(`${tiny}merges.txt`),
    vocabulary: { json: `${tiny}nouns.json`, bin: `${tiny}nouns.f16.bin` },
  };
}

/**
 * n flat-coloured side×side photos in 3 colours (red, green, blue by i % 3) with a little
 * texture each, as pixel objects named img<i>.png: three groups the tiny model can tell apart.
 */
export function colourPhotos(n = 12, side = 32) {
  const colours = [[220, 30, 30], [30, 200, 40], [30, 40, 220]];
  return Array.from({ length: n }, (_, i) => {
    const [r, g, b] = colours[i % 3];
    const data = new Uint8ClampedArray(side * side * 4);
    for (let p = 0; p < side * side; p++) data.set([r + ((p * 7 + i) % 13), g + ((p * 5 + i) % 11), b + ((p * 3 + i) % 9), 255], 4 * p);
    return { name: `img${i}.png`, data, width: side, height: side };
  });
}
