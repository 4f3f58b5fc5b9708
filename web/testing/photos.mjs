// A folder of generated photos for the command-line tests: two groups (red discs, blue stripes)
// as JPEG, PNG, GIF and WebP (lossless and lossy), one JPEG stored sideways with EXIF orientation
// 6, and bad files (text, a cut JPEG, an empty file, a WebP header without its image, a 1×1 PNG).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import pngjs from 'pngjs';
import omggif from 'omggif';

/** RGBA pixels of group g, variant i. @param {number} g @param {number} i @param {number} w @param {number} h */
export function drawPhoto(g, i, w = 64, h = 48) {
  const data = new Uint8Array(w * h * 4);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const o = 4 * (y * w + x);
      const disc = (x - w / 2) ** 2 + (y - h / 2) ** 2 < (h / 3) ** 2;
      const rgb = g === 0
        ? (disc ? [255, 210, 0] : [200 + 8 * i, 30, 30])
        : ((x % 12) < 5 ? [200, 240, 255] : [20, 40 + 6 * i, 190]);
      data.set([...rgb, 255], o);
    }
  }
  return { data, width: w, height: h };
}

/** A JPEG with an EXIF APP1 segment carrying `orientation`. @param {Uint8Array} jpg @param {number} orientation */
export function withExifOrientation(jpg, orientation) {
  // TIFF big-endian, one IFD entry: tag 0x0112 (Orientation), type SHORT, count 1
  const tiff = [0x4d, 0x4d, 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, orientation, 0, 0, 0, 0, 0, 0];
  const payload = [...Buffer.from('Exif\0\0', 'latin1'), ...tiff];
  const len = payload.length + 2;
  return new Uint8Array([0xff, 0xd8, 0xff, 0xe1, len >> 8, len & 0xff, ...payload, ...jpg.subarray(2)]);
}

/**
 * A simple (VP8L / VP8) WebP turned into the extended format with an EXIF chunk holding the
 * orientation: VP8X (EXIF flag, canvas size), the image chunk, EXIF (TIFF, big-endian).
 * @param {Uint8Array} webp @param {number} orientation @param {number} width @param {number} height
 */
export function withWebpExifOrientation(webp, orientation, width, height) {
  const le = (/** @type {number} */ v, /** @type {number} */ n) => Array.from({ length: n }, (_, i) => (v >>> (8 * i)) & 0xff);
  const chunk = (/** @type {string} */ tag, /** @type {number[]} */ data) => [...Buffer.from(tag, 'latin1'), ...le(data.length, 4), ...data, ...(data.length & 1 ? [0] : [])];
  const tiff = [0x4d, 0x4d, 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, orientation, 0, 0, 0, 0, 0, 0];
  const body = [
    ...Buffer.from('WEBP', 'latin1'),
    ...chunk('VP8X', [0x08, 0, 0, 0, ...le(width - 1, 3), ...le(height - 1, 3)]),
    ...webp.subarray(12),  // the image chunk as it was
    ...chunk('EXIF', tiff),
  ];
  return new Uint8Array([...Buffer.from('RIFF', 'latin1'), ...le(body.length, 4), ...body]);
}

/** Rotates RGBA pixels 90° counter-clockwise (what a camera stores for EXIF orientation 6). */
export function rotateCCW(/** @type {{data: Uint8Array, width: number, height: number}} */ img) {
  const { data, width: W, height: H } = img;
  const out = new Uint8Array(data.length);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) out.set(data.subarray(4 * (y * W + x), 4 * (y * W + x) + 4), 4 * ((W - 1 - x) * H + y));
  return { data: out, width: H, height: W };
}

const jpegBytes = (/** @type {{data: Uint8Array, width: number, height: number}} */ img) => new Uint8Array(jpeg.encode(img, 95).data);
const pngBytes = (/** @type {{data: Uint8Array, width: number, height: number}} */ img) => new Uint8Array(pngjs.PNG.sync.write(Object.assign(new pngjs.PNG({ width: img.width, height: img.height }), { data: Buffer.from(img.data) })));

/** @type {Promise<any> | null} */
let webpEncoder = null;

/**
 * A WebP of the pixels, made by @jsquash/webp's encoder (libwebp in WebAssembly; its plain build,
 * not the SIMD one, whatever the machine: the same bytes everywhere). lossless: exact pixels;
 * otherwise lossy at `quality`.
 * @param {{data: Uint8Array, width: number, height: number}} img
 * @param {{lossless?: boolean, quality?: number}} [options]
 * @returns {Promise<Uint8Array>}
 */
export async function webpBytes(img, options = {}) {
  webpEncoder ??= (async () => {
    const { default: factory } = await import('@jsquash/webp/codec/enc/webp_enc.js');
    const { initEmscriptenModule } = await import('@jsquash/webp/utils.js');
    const wasm = readFileSync(createRequire(import.meta.url).resolve('@jsquash/webp/codec/enc/webp_enc.wasm'));
    return initEmscriptenModule(factory, await WebAssembly.compile(wasm));
  })();
  const { defaultOptions } = await import('@jsquash/webp/meta.js');
  const encoder = await webpEncoder;
  const out = encoder.encode(new Uint8ClampedArray(img.data), img.width, img.height,
    { ...defaultOptions, lossless: options.lossless ? 1 : 0, quality: options.quality ?? (options.lossless ? 100 : 90), exact: 1 });
  if (!out) throw new Error('WebP encoding failed');
  return new Uint8Array(out.buffer ?? out);
}

/** A GIF of the pixels (a 2-colour-per-group palette is plenty for these drawings). */
function gifBytes(/** @type {{data: Uint8Array, width: number, height: number}} */ img) {
  /** @type {number[]} */
  const palette = [];
  const indices = new Uint8Array(img.width * img.height);
  for (let p = 0; p < indices.length; p++) {
    const c = (img.data[4 * p] << 16) | (img.data[4 * p + 1] << 8) | img.data[4 * p + 2];
    let k = palette.indexOf(c);
    if (k < 0) { k = palette.length; palette.push(c); }
    indices[p] = k;
  }
  while (palette.length & (palette.length - 1) || palette.length < 2) palette.push(0);
  const buf = Buffer.alloc(1024 + indices.length * 2);
  const w = new omggif.GifWriter(buf, img.width, img.height, { palette });
  w.addFrame(0, 0, img.width, img.height, indices);
  return new Uint8Array(buf.subarray(0, w.end()));
}

/**
 * Writes the folder; returns the good files (relative names, with their group) and the bad ones.
 * g0-1.webp is a lossless WebP of the drawing in g0-1.png (the same pixels); g1-4.webp a lossy one.
 * @param {string} dir
 */
export async function writePhotoFolder(dir) {
  mkdirSync(join(dir, 'sub'), { recursive: true });
  /** @type {Record<string, number>} */
  const good = {};
  for (let i = 0; i < 4; i++) {
    for (const g of [0, 1]) {
      const img = drawPhoto(g, i);
      const kind = ['jpg', 'png', 'gif', 'jpg'][i];
      const name = `${i === 3 ? 'sub/' : ''}g${g}-${i}.${kind}`;
      writeFileSync(join(dir, name), kind === 'jpg' ? jpegBytes(img) : kind === 'png' ? pngBytes(img) : gifBytes(img));
      good[name] = g;
    }
  }
  // stored sideways, shown upright through EXIF orientation 6
  writeFileSync(join(dir, 'rotated.jpg'), withExifOrientation(jpegBytes(rotateCCW(drawPhoto(1, 4))), 6));
  good['rotated.jpg'] = 1;
  writeFileSync(join(dir, 'g0-1.webp'), await webpBytes(drawPhoto(0, 1), { lossless: true }));
  good['g0-1.webp'] = 0;
  writeFileSync(join(dir, 'g1-4.webp'), await webpBytes(drawPhoto(1, 4)));
  good['g1-4.webp'] = 1;
  const bad = {
    'notes.txt': new TextEncoder().encode('not a photo\n'),
    'cut.jpg': jpegBytes(drawPhoto(0, 0)).subarray(0, 40),
    'empty.png': new Uint8Array(0),
    'photo.webp': new Uint8Array([...Buffer.from('RIFF\x24\0\0\0WEBPVP8 ', 'latin1'), ...new Uint8Array(24)]),
    'pixel.png': pngBytes({ data: new Uint8Array([255, 0, 0, 255]), width: 1, height: 1 }),
  };
  for (const [name, bytes] of Object.entries(bad)) writeFileSync(join(dir, name), bytes);
  return { good, bad: Object.keys(bad) };
}
