// CLIP preprocessing against Pillow/numpy reference values, and EXIF orientation on hand-built bytes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import {
  preprocessImage, resizeAndCrop, resizeBicubicRGB, shortestSideSize, toRGB,
  readJpegInfo, readExifOrientation, applyOrientation, CLIP_MEAN, CLIP_STD,
} from '../src/preprocess.js';

const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));
// Made by fixtures/make_preprocess_fixture.py (Pillow's Image.resize(BICUBIC) + numpy).
const fixture = JSON.parse(readFileSync(`${fixtures}preprocess_fixture.json`, 'utf8'));

// Tolerances: the 8-bit image after resize + crop must equal Pillow's exactly (the JS reproduces
// Pillow's fixed-point arithmetic): same SHA-256, and the stored rows are compared value by value
// so that a mismatch says how large it is; the normalised floats (float32 here, float64 in numpy) must
// agree to 1e-5 absolute (values are within about +-2.2, float32 keeps ~7 digits).
const FLOAT_TOL = 1e-5;

/** The synthetic image of the fixture script (same integer formulas). */
function synthetic(w, h) {
  const data = new Uint8ClampedArray(w * h * 4);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = (y * w + x) * 4;
      data[i] = (3 * x + 5 * y) & 255;
      data[i + 1] = (Math.imul(73856093, x) ^ Math.imul(19349663, y)) & 255;
      data[i + 2] = ((x >> 3) + (y >> 3)) & 1 ? 255 : 0;
      data[i + 3] = (x + y) & 255;
    }
  }
  return { data, width: w, height: h };
}

test('shortest side to 224, long side truncated', () => {
  assert.deepEqual(shortestSideSize(300, 250), [268, 224]);
  assert.deepEqual(shortestSideSize(97, 130), [224, 300]);   // 300.2 -> 300
  assert.deepEqual(shortestSideSize(225, 300), [224, 298]);  // 298.67 -> 298
  assert.deepEqual(shortestSideSize(224, 224), [224, 224]);
});

for (const c of fixture.cases) {
  test(`matches Pillow BICUBIC + numpy: ${c.name} (${c.width}x${c.height})`, () => {
    const img = synthetic(c.width, c.height);
    const size = fixture.size;
    const rgb = resizeAndCrop(img, size);
    for (const [row, b64] of Object.entries(c.rows)) {
      const want = Buffer.from(b64, 'base64');
      const got = rgb.subarray(Number(row) * size * 3, (Number(row) + 1) * size * 3);
      let diffs = 0;
      let maxDiff = 0;
      for (let i = 0; i < want.length; i++) {
        const d = Math.abs(got[i] - want[i]);
        if (d) { diffs++; maxDiff = Math.max(maxDiff, d); }
      }
      assert.equal(diffs, 0, `row ${row}: ${diffs} of ${want.length} 8-bit values differ from Pillow (max ${maxDiff})`);
    }
    assert.equal(createHash('sha256').update(rgb).digest('hex'), c.rgbSha256, 'whole 224x224 image equals Pillow\'s');

    const t = preprocessImage(img);
    assert.ok(t instanceof Float32Array);
    assert.equal(t.length, 3 * size * size);
    c.sampleIndices.forEach((idx, j) => {
      assert.ok(Math.abs(t[idx] - c.sampleValues[j]) <= FLOAT_TOL, `value ${idx}: ${t[idx]} vs ${c.sampleValues[j]}`);
    });
    for (let ch = 0; ch < 3; ch++) {
      let s = 0;
      for (let i = ch * size * size; i < (ch + 1) * size * size; i++) s += t[i];
      assert.ok(Math.abs(s / (size * size) - c.channelMeans[ch]) <= FLOAT_TOL, `channel ${ch} mean`);
    }
  });
}

test('normalisation: uniform colours map to (v/255 - mean)/std, NCHW', () => {
  const w = 50, h = 40;
  const data = new Uint8ClampedArray(w * h * 4);
  for (let i = 0; i < w * h; i++) data.set([255, 0, 128, 255], i * 4);
  const t = preprocessImage({ data, width: w, height: h });
  const plane = 224 * 224;
  const want = [255, 0, 128].map((v, c) => (v / 255 - CLIP_MEAN[c]) / CLIP_STD[c]);
  for (let c = 0; c < 3; c++) {
    for (const i of [0, 1, 223, plane / 2, plane - 1]) assert.ok(Math.abs(t[c * plane + i] - want[c]) < 1e-6);
  }
});

test('resizeBicubicRGB: identity size is a copy; toRGB checks its input', () => {
  const rgb = Uint8Array.from({ length: 5 * 4 * 3 }, (_, i) => (i * 37) & 255);
  assert.deepEqual(resizeBicubicRGB(rgb, 5, 4, 5, 4), rgb);
  assert.throws(() => toRGB({ data: new Uint8ClampedArray(7), width: 2, height: 2 }), /pixel data has 7 bytes/);
});

// ---- EXIF -------------------------------------------------------------------------------------

/**
 * A JPEG prefix: SOI, APP0 (JFIF), APP1 Exif with IFD0 = [ImageWidth, Orientation], SOF0, SOS.
 * Byte layout of the APP1 segment (offsets from the TIFF header):
 *   0: "II" 2A 00 08 00 00 00   (little endian) or "MM" 00 2A 00 00 00 08 (big endian)
 *   8: entry count (2), entries of 12 bytes: tag, type, count, value (SHORT left-aligned), next IFD 0
 */
function jpeg(orientation, { bigEndian = false, width = 640, height = 480, exif = true } = {}) {
  const le = !bigEndian;
  const u16 = (v) => (le ? [v & 255, v >> 8] : [v >> 8, v & 255]);
  const u32 = (v) => (le ? [v & 255, (v >> 8) & 255, (v >> 16) & 255, v >>> 24] : [v >>> 24, (v >> 16) & 255, (v >> 8) & 255, v & 255]);
  const tiff = [
    ...(le ? [0x49, 0x49] : [0x4d, 0x4d]), ...u16(42), ...u32(8),
    ...u16(2),
    ...u16(0x0100), ...u16(3), ...u32(1), ...u16(width), 0, 0,              // ImageWidth, SHORT
    ...u16(0x0112), ...u16(3), ...u32(1), ...u16(orientation), 0, 0,        // Orientation, SHORT
    ...u32(0),
  ];
  const app1 = [0x45, 0x78, 0x69, 0x66, 0, 0, ...tiff];  // "Exif\0\0"
  const app0 = [0x4a, 0x46, 0x49, 0x46, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0];
  const sof = [8, height >> 8, height & 255, width >> 8, width & 255, 3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1];
  const seg = (m, body) => [0xff, m, (body.length + 2) >> 8, (body.length + 2) & 255, ...body];
  return Uint8Array.from([
    0xff, 0xd8, ...seg(0xe0, app0), ...(exif ? seg(0xe1, app1) : []), ...seg(0xc0, sof),
    0xff, 0xda, 0, 2,
  ]);
}

test('readJpegInfo: every orientation 1..8, both byte orders, and the SOF size', () => {
  for (let o = 1; o <= 8; o++) {
    for (const bigEndian of [false, true]) {
      assert.deepEqual(readJpegInfo(jpeg(o, { bigEndian })), { orientation: o, width: 640, height: 480 }, `o=${o} be=${bigEndian}`);
      assert.equal(readExifOrientation(jpeg(o, { bigEndian }).buffer), o);
    }
  }
});

test('readJpegInfo: no Exif, bad values, truncated data, not a JPEG', () => {
  assert.deepEqual(readJpegInfo(jpeg(6, { exif: false })), { orientation: 1, width: 640, height: 480 });
  assert.equal(readExifOrientation(jpeg(0)), 1);
  assert.equal(readExifOrientation(jpeg(9)), 1);
  const full = jpeg(6);
  for (const cut of [3, 10, 25, 40, 50]) assert.equal(typeof readExifOrientation(full.subarray(0, cut)), 'number');
  assert.equal(readJpegInfo(Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 13, 10, 26, 10])), null);  // PNG
  assert.equal(readExifOrientation(new Uint8Array(0)), 1);
});

test('the browser probe JPEG in preprocess.js is a 2x1 image with orientation 6', () => {
  const src = readFileSync(new URL('../src/preprocess.js', import.meta.url), 'utf8');
  const b64 = /PROBE_JPEG_BASE64 = '([^']+)'/.exec(src)[1];
  assert.deepEqual(readJpegInfo(Buffer.from(b64, 'base64')), { orientation: 6, width: 2, height: 1 });
});

test('applyOrientation: each of 1..8 on a labelled 3x2 image', () => {
  // stored image, one byte per pixel (channels = 1):
  //   a b c        a=1 b=2 c=3
  //   d e f        d=4 e=5 f=6
  const img = { data: Uint8Array.from([1, 2, 3, 4, 5, 6]), width: 3, height: 2 };
  // expected display images, derived from the EXIF definitions (where row 0 / column 0 go):
  const want = {
    1: [3, 2, [1, 2, 3, 4, 5, 6]],          // as stored
    2: [3, 2, [3, 2, 1, 6, 5, 4]],          // mirrored left-right
    3: [3, 2, [6, 5, 4, 3, 2, 1]],          // rotated 180
    4: [3, 2, [4, 5, 6, 1, 2, 3]],          // mirrored top-bottom
    5: [2, 3, [1, 4, 2, 5, 3, 6]],          // transposed: a d / b e / c f
    6: [2, 3, [4, 1, 5, 2, 6, 3]],          // 90 clockwise: d a / e b / f c
    7: [2, 3, [6, 3, 5, 2, 4, 1]],          // transverse: f c / e b / d a
    8: [2, 3, [3, 6, 2, 5, 1, 4]],          // 90 anticlockwise: c f / b e / a d
  };
  for (let o = 1; o <= 8; o++) {
    const r = applyOrientation(img, o, 1);
    const [w, h, px] = want[o];
    assert.deepEqual([r.width, r.height, Array.from(r.data)], [w, h, px], `orientation ${o}`);
  }
  // RGBA: pixels move as a whole
  const rgba = { data: Uint8ClampedArray.from([1, 1, 1, 255, 2, 2, 2, 255]), width: 2, height: 1 };
  const r6 = applyOrientation(rgba, 6);
  assert.deepEqual([r6.width, r6.height, Array.from(r6.data)], [1, 2, [1, 1, 1, 255, 2, 2, 2, 255]]);
  assert.throws(() => applyOrientation(img, 9, 1), /1\.\.8/);
});

test('orientations invert as expected (6 then 8 is identity; 2, 3, 4, 5, 7 are involutions)', () => {
  const img = synthetic(7, 5);
  const same = (a, b) => assert.deepEqual([a.width, a.height, Array.from(a.data)], [b.width, b.height, Array.from(b.data)]);
  same(applyOrientation(applyOrientation(img, 6), 8), img);
  for (const o of [2, 3, 4, 5, 7]) same(applyOrientation(applyOrientation(img, o), o), img);
});

test('decodeImage glue, with stand-ins for createImageBitmap/OffscreenCanvas of a browser that ignores EXIF', async () => {
  // The stand-in "decodes" every blob to its stored pixels without applying the orientation: the
  // probe JPEG comes out 2x1 (so the probe says "not applied"), any other blob as a labelled 3x2.
  const stored = { width: 3, height: 2, data: Uint8ClampedArray.from([1, 2, 3, 4, 5, 6].flatMap((v) => [v, v, v, 255])) };
  const saved = { createImageBitmap: globalThis.createImageBitmap, OffscreenCanvas: globalThis.OffscreenCanvas };
  const src = readFileSync(new URL('../src/preprocess.js', import.meta.url), 'utf8');
  const probeSize = Buffer.from(/PROBE_JPEG_BASE64 = '([^']+)'/.exec(src)[1], 'base64').length;
  globalThis.createImageBitmap = async (blob) => {
    const probe = blob.size === probeSize;
    return { width: probe ? 2 : stored.width, height: probe ? 1 : stored.height, probe, close() {} };
  };
  globalThis.OffscreenCanvas = class {
    constructor(w, h) { this.w = w; this.h = h; }
    getContext() {
      let bmp;
      return {
        drawImage: (b) => { bmp = b; },
        getImageData: () => ({ data: bmp.probe ? new Uint8ClampedArray(8) : stored.data.slice() }),
      };
    }
  };
  try {
    const { decodeImage, browserAppliesExifOrientation } = await import('../src/preprocess.js');
    assert.equal(await browserAppliesExifOrientation(), false);
    const img = await decodeImage(new Blob([jpeg(6, { width: 3, height: 2 })], { type: 'image/jpeg' }));
    // orientation 6 (90 clockwise): d a / e b / f c, as in the applyOrientation test
    assert.deepEqual([img.width, img.height, Array.from(img.data).filter((_, i) => i % 4 === 0)], [2, 3, [4, 1, 5, 2, 6, 3]]);
    const asIs = await decodeImage(new Blob([jpeg(6, { width: 3, height: 2 })]), { exif: 'browser' });
    assert.deepEqual([asIs.width, asIs.height], [3, 2]);
    const plain = await decodeImage(new Blob([jpeg(1, { width: 3, height: 2 })]));
    assert.deepEqual([plain.width, plain.height], [3, 2]);
  } finally {
    Object.assign(globalThis, saved);
  }
});
