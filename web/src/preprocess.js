// CLIP image preprocessing as pure functions on RGBA pixel data, plus EXIF orientation.
//
// What `preprocessImage` does, exactly (the HuggingFace CLIPImageProcessor / openai CLIP pipeline):
//   1. RGBA -> RGB by dropping alpha (as PIL's Image.convert('RGB') does for RGBA).
//   2. Resize so the shorter side is 224, the longer side int(224 * long / short) (truncated),
//      with PIL's BICUBIC filter, reproduced bit for bit: Pillow's Resample.c two-pass separable
//      convolution (horizontal pass first, then vertical; 8-bit intermediate image), cubic
//      kernel with a = -0.5 and support 2, stretched by the scale factor when downscaling
//      (so downscaling is antialiased), weights normalised per output pixel and quantised to
//      22-bit fixed point, sums rounded and clamped to 0..255 after each pass. No reducing_gap.
//   3. Centre crop 224x224, offsets floor((size - 224) / 2) (transformers' center_crop;
//      torchvision rounds half-to-even instead, which differs by one pixel for odd margins).
//   4. value / 255, then (value - mean) / std per channel with CLIP's mean and std.
//   5. Float32Array, channel-major (NCHW with N = 1): [3 x 224 x 224].

export const CLIP_IMAGE_SIZE = 224;
export const CLIP_MEAN = Object.freeze([0.48145466, 0.4578275, 0.40821073]);
export const CLIP_STD = Object.freeze([0.26862954, 0.26130258, 0.27577711]);

/**
 * @typedef {object} PixelData
 * @property {Uint8ClampedArray|Uint8Array} data RGBA, row-major, 4 bytes per pixel (as ImageData)
 * @property {number} width
 * @property {number} height
 */

/**
 * @typedef {object} PreprocessOptions
 * @property {number} [size=224] shorter side after resizing, and the crop size
 * @property {ArrayLike<number>} [mean] per-channel mean (CLIP's by default)
 * @property {ArrayLike<number>} [std] per-channel standard deviation (CLIP's by default)
 */

const PRECISION_BITS = 32 - 8 - 2;
const ONE = 2 ** PRECISION_BITS;
const HALF = 2 ** (PRECISION_BITS - 1);

/** Pillow's bicubic kernel, a = -0.5. @param {number} x */
function bicubic(x) {
  const a = -0.5;
  if (x < 0) x = -x;
  if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
  if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
  return 0;
}

/**
 * Pillow's precompute_coeffs + normalize_coeffs_8bpc for one axis.
 * @param {number} inSize
 * @param {number} outSize
 * @returns {{ksize: number, bounds: Int32Array, coeffs: Int32Array}} bounds[2i] = first input
 *   index, bounds[2i+1] = number of taps; coeffs[i*ksize + k] = fixed-point weight
 */
function precomputeCoeffs(inSize, outSize) {
  const scale = inSize / outSize;
  const filterscale = Math.max(scale, 1);
  const support = 2 * filterscale;
  const ksize = Math.ceil(support) * 2 + 1;
  const bounds = new Int32Array(outSize * 2);
  const coeffs = new Int32Array(outSize * ksize);
  const w = new Float64Array(ksize);
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    const ss = 1 / filterscale;
    let xmin = Math.trunc(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    let xmax = Math.trunc(center + support + 0.5);
    if (xmax > inSize) xmax = inSize;
    xmax -= xmin;
    let ww = 0;
    for (let x = 0; x < xmax; x++) {
      w[x] = bicubic((x + xmin - center + 0.5) * ss);
      ww += w[x];
    }
    for (let x = 0; x < xmax; x++) {
      const k = ww !== 0 ? w[x] / ww : w[x];
      coeffs[xx * ksize + x] = k < 0 ? Math.trunc(-0.5 + k * ONE) : Math.trunc(0.5 + k * ONE);
    }
    bounds[xx * 2] = xmin;
    bounds[xx * 2 + 1] = xmax;
  }
  return { ksize, bounds, coeffs };
}

/** clip8(ss >> PRECISION_BITS) @param {number} ss */
function clip8(ss) {
  const v = ss >> PRECISION_BITS;  // ss is an int32 sum (as in Pillow): >> floors, negatives too
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

/**
 * RGBA (or RGB) -> RGB, dropping alpha.
 * @param {PixelData} image
 * @returns {Uint8Array} width*height*3
 */
export function toRGB(image) {
  const { data, width, height } = image;
  const n = width * height;
  if (data.length === n * 3) return Uint8Array.from(data);
  if (data.length !== n * 4) {
    throw new Error(`pixel data has ${data.length} bytes, expected ${n * 4} (RGBA ${width}x${height})`);
  }
  const out = new Uint8Array(n * 3);
  for (let i = 0, j = 0; i < n; i++, j += 4) {
    out[i * 3] = data[j];
    out[i * 3 + 1] = data[j + 1];
    out[i * 3 + 2] = data[j + 2];
  }
  return out;
}

/**
 * Resizes packed RGB exactly as Pillow's Image.resize(size, Image.BICUBIC) does for an 8-bit RGB image.
 * The sums are int32, as Pillow's (`| 0` and Math.imul keep V8 on integer arithmetic: the weights
 * are 22-bit fixed point, so |pixel × weight| < 2^30 and the sums stay within int32 as in C).
 * @param {Uint8Array|Uint8ClampedArray} rgb width*height*channels
 * @param {number} width
 * @param {number} height
 * @param {number} outWidth
 * @param {number} outHeight
 * @param {number} [channels=3] bytes per input pixel: 3 (RGB) or 4 (RGBA, alpha ignored: read in
 *   place, without a copy to RGB first)
 * @param {{left: number, top: number, width: number, height: number}} [crop] only this box of the
 *   resized image is computed and returned (each output pixel depends on its own taps only, so
 *   the box equals the crop of the whole resize: resizeAndCrop skips the margins it drops)
 * @returns {Uint8Array} crop.width*crop.height*3 (outWidth*outHeight*3 without a crop)
 */
export function resizeBicubicRGB(rgb, width, height, outWidth, outHeight, channels = 3, crop = undefined) {
  if (!(outWidth > 0 && outHeight > 0)) throw new Error(`bad output size ${outWidth}x${outHeight}`);
  const box = crop ?? { left: 0, top: 0, width: outWidth, height: outHeight };
  if (box.left < 0 || box.top < 0 || box.left + box.width > outWidth || box.top + box.height > outHeight) {
    throw new Error(`crop ${box.width}x${box.height}+${box.left}+${box.top} is outside ${outWidth}x${outHeight}`);
  }
  const vert = outHeight !== height ? precomputeCoeffs(height, outHeight) : null;
  // input rows the vertical pass reads for the box's rows (all of them at one scale, as in Pillow)
  const first = vert ? vert.bounds[box.top * 2] : box.top;
  const last = vert ? vert.bounds[(box.top + box.height - 1) * 2] + vert.bounds[(box.top + box.height - 1) * 2 + 1] : box.top + box.height;
  const hor = outWidth !== width ? precomputeCoeffs(width, outWidth) : null;
  // The horizontal pass: rows first..last-1, the box's columns; without a horizontal scale, the copy.
  const w = box.width;
  const tmp = new Uint8Array(w * (last - first) * 3);
  for (let y = first; y < last; y++) {
    const inRow = y * width * channels;
    const outRow = (y - first) * w * 3;
    for (let xx = 0; xx < w; xx++) {
      const o = outRow + xx * 3;
      if (!hor) {
        const p = inRow + (box.left + xx) * channels;
        tmp[o] = rgb[p]; tmp[o + 1] = rgb[p + 1]; tmp[o + 2] = rgb[p + 2];
        continue;
      }
      const X = box.left + xx;
      const n = hor.bounds[X * 2 + 1];
      const kb = X * hor.ksize;
      let s0 = HALF, s1 = HALF, s2 = HALF;
      let p = inRow + hor.bounds[X * 2] * channels;
      for (let x = 0; x < n; x++, p += channels) {
        const k = hor.coeffs[kb + x];
        s0 = (s0 + Math.imul(rgb[p], k)) | 0;
        s1 = (s1 + Math.imul(rgb[p + 1], k)) | 0;
        s2 = (s2 + Math.imul(rgb[p + 2], k)) | 0;
      }
      tmp[o] = clip8(s0);
      tmp[o + 1] = clip8(s1);
      tmp[o + 2] = clip8(s2);
    }
  }
  if (!vert) return tmp;
  const { ksize, bounds, coeffs } = vert;
  const out = new Uint8Array(w * box.height * 3);
  const stride = w * 3;
  for (let yy = 0; yy < box.height; yy++) {
    const Y = box.top + yy;
    const ymin = bounds[Y * 2] - first;
    const n = bounds[Y * 2 + 1];
    const kb = Y * ksize;
    const outRow = yy * stride;
    for (let xx = 0; xx < stride; xx += 3) {
      let s0 = HALF, s1 = HALF, s2 = HALF;
      let p = ymin * stride + xx;
      for (let y = 0; y < n; y++, p += stride) {
        const k = coeffs[kb + y];
        s0 = (s0 + Math.imul(tmp[p], k)) | 0;
        s1 = (s1 + Math.imul(tmp[p + 1], k)) | 0;
        s2 = (s2 + Math.imul(tmp[p + 2], k)) | 0;
      }
      const o = outRow + xx;
      out[o] = clip8(s0);
      out[o + 1] = clip8(s1);
      out[o + 2] = clip8(s2);
    }
  }
  return out;
}

/**
 * Size after CLIP's "shorter side to `size`" resize.
 * @param {number} width
 * @param {number} height
 * @param {number} [size=224]
 * @returns {[number, number]} [width, height]
 */
export function shortestSideSize(width, height, size = CLIP_IMAGE_SIZE) {
  if (!(width > 0 && height > 0)) throw new Error(`bad image size ${width}x${height}`);
  if (width <= height) return [size, Math.trunc((size * height) / width)];
  return [Math.trunc((size * width) / height), size];
}

/**
 * CLIP's resize + centre crop, still 8-bit: the exact image CLIP sees before normalisation.
 * @param {PixelData} image
 * @param {number} [size=224]
 * @returns {Uint8Array} size*size*3 packed RGB
 */
export function resizeAndCrop(image, size = CLIP_IMAGE_SIZE) {
  const [w, h] = shortestSideSize(image.width, image.height, size);
  const crop = { left: Math.floor((w - size) / 2), top: Math.floor((h - size) / 2), width: size, height: size };
  if (image.data.length === image.width * image.height * 4) return resizeBicubicRGB(image.data, image.width, image.height, w, h, 4, crop);
  return resizeBicubicRGB(toRGB(image), image.width, image.height, w, h, 3, crop);
}

/**
 * The full CLIP preprocessing of one image: the `pixel_values` row for the vision model.
 * @param {PixelData} image RGBA pixels (e.g. ImageData, or `decodeImage`'s result)
 * @param {PreprocessOptions} [options]
 * @returns {Float32Array} [3 x size x size], channel-major
 */
export function preprocessImage(image, options = {}) {
  const size = options.size ?? CLIP_IMAGE_SIZE;
  const mean = options.mean ?? CLIP_MEAN;
  const std = options.std ?? CLIP_STD;
  const rgb = resizeAndCrop(image, size);
  const plane = size * size;
  const out = new Float32Array(3 * plane);
  for (let c = 0; c < 3; c++) {
    const m = mean[c];
    const s = std[c];
    const base = c * plane;
    for (let i = 0; i < plane; i++) out[base + i] = (rgb[i * 3 + c] / 255 - m) / s;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// EXIF orientation

/**
 * @typedef {object} JpegInfo
 * @property {number} orientation EXIF orientation 1..8 (1 when absent or invalid)
 * @property {number} width stored width from the SOF segment (0 if not reached)
 * @property {number} height stored height from the SOF segment (0 if not reached)
 */

/**
 * Reads the EXIF orientation (APP1 "Exif", IFD0 tag 0x0112) and the stored size of a JPEG.
 * Only the first segments are needed: passing the first 64-256 KiB of the file is enough.
 * @param {ArrayBuffer|ArrayBufferView} bytes
 * @returns {JpegInfo|null} null when the bytes are not a JPEG
 */
export function readJpegInfo(bytes) {
  const b = bytes instanceof ArrayBuffer
    ? new Uint8Array(bytes)
    : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b.length < 4 || b[0] !== 0xff || b[1] !== 0xd8) return null;
  const info = { orientation: 1, width: 0, height: 0 };
  let pos = 2;
  let sawExif = false;
  while (pos + 4 <= b.length) {
    if (b[pos] !== 0xff) break;  // lost sync: stop rather than guess
    const marker = b[pos + 1];
    if (marker === 0xff) { pos += 1; continue; }  // fill byte
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) { pos += 2; continue; }
    if (marker === 0xd9 || marker === 0xda) break;  // end of image / start of scan
    const len = (b[pos + 2] << 8) | b[pos + 3];
    if (len < 2) break;
    const start = pos + 4;
    const end = Math.min(pos + 2 + len, b.length);
    if (marker === 0xe1 && !sawExif && end - start >= 14 &&
        b[start] === 0x45 && b[start + 1] === 0x78 && b[start + 2] === 0x69 && b[start + 3] === 0x66 &&
        b[start + 4] === 0 && b[start + 5] === 0) {
      sawExif = true;
      info.orientation = exifOrientation(b, start + 6, end);
    } else if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      if (end - start >= 5) {
        info.height = (b[start + 1] << 8) | b[start + 2];
        info.width = (b[start + 3] << 8) | b[start + 4];
      }
      break;
    }
    pos += 2 + len;
  }
  return info;
}

/**
 * @param {Uint8Array} b
 * @param {number} tiff start of the TIFF header
 * @param {number} end end of the APP1 segment
 * @returns {number} 1..8
 */
function exifOrientation(b, tiff, end) {
  if (tiff + 8 > end) return 1;
  let little;
  if (b[tiff] === 0x49 && b[tiff + 1] === 0x49) little = true;
  else if (b[tiff] === 0x4d && b[tiff + 1] === 0x4d) little = false;
  else return 1;
  const u16 = (/** @type {number} */ p) => (little ? b[p] | (b[p + 1] << 8) : (b[p] << 8) | b[p + 1]);
  const u32 = (/** @type {number} */ p) => (little
    ? (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16)) + b[p + 3] * 2 ** 24
    : b[p] * 2 ** 24 + ((b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]));
  if (u16(tiff + 2) !== 42) return 1;
  const ifd = tiff + u32(tiff + 4);
  if (ifd + 2 > end) return 1;
  const count = u16(ifd);
  for (let i = 0; i < count; i++) {
    const e = ifd + 2 + i * 12;
    if (e + 12 > end) return 1;
    if (u16(e) === 0x0112) {
      const type = u16(e + 2);
      const v = type === 3 ? u16(e + 8) : type === 4 ? u32(e + 8) : 0;  // SHORT (LONG tolerated)
      return v >= 1 && v <= 8 ? v : 1;
    }
  }
  return 1;
}

/**
 * EXIF orientation of a JPEG (1..8; 1 when absent, invalid, or not a JPEG).
 * @param {ArrayBuffer|ArrayBufferView} bytes
 * @returns {number}
 */
export function readExifOrientation(bytes) {
  return readJpegInfo(bytes)?.orientation ?? 1;
}

/**
 * EXIF orientation (1..8) of a WebP: its RIFF "EXIF" chunk holds a TIFF header (some writers put
 * JPEG's "Exif\0\0" in front of it). 1 when there is none. The command line's decoder
 * (libwebp) does not apply it; browsers do, so the browser path never calls this.
 * @param {Uint8Array} bytes
 * @returns {number}
 */
export function readWebpOrientation(bytes) {
  const b = bytes;
  const tag = (/** @type {number} */ p) => String.fromCharCode(b[p], b[p + 1], b[p + 2], b[p + 3]);
  if (b.length < 12 || tag(0) !== 'RIFF' || tag(8) !== 'WEBP') return 1;
  for (let p = 12; p + 8 <= b.length;) {
    const size = (b[p + 4] | (b[p + 5] << 8) | (b[p + 6] << 16) | (b[p + 7] << 24)) >>> 0;
    const start = p + 8;
    const end = Math.min(b.length, start + size);
    if (tag(p) === 'EXIF') {
      const exifPrefix = end - start >= 6 && tag(start) === 'Exif' && b[start + 4] === 0 && b[start + 5] === 0;
      return exifOrientation(b, exifPrefix ? start + 6 : start, end);
    }
    p = start + size + (size & 1);  // chunks are padded to an even size
  }
  return 1;
}

/**
 * Turns stored pixels into display pixels for an EXIF orientation:
 * 1 as is, 2 mirror left-right, 3 rotate 180, 4 mirror top-bottom, 5 transpose (mirror along the
 * main diagonal), 6 rotate 90 degrees clockwise, 7 transverse (mirror along the anti-diagonal),
 * 8 rotate 90 degrees anticlockwise. 5-8 swap width and height.
 * @param {PixelData} image
 * @param {number} orientation 1..8
 * @param {number} [channels=4] bytes per pixel
 * @returns {{data: Uint8ClampedArray, width: number, height: number}}
 */
export function applyOrientation(image, orientation, channels = 4) {
  const { data, width: W, height: H } = image;
  if (!Number.isInteger(orientation) || orientation < 1 || orientation > 8) {
    throw new Error(`EXIF orientation must be 1..8, got ${orientation}`);
  }
  if (data.length !== W * H * channels) {
    throw new Error(`pixel data has ${data.length} bytes, expected ${W * H * channels}`);
  }
  const swap = orientation >= 5;
  const w = swap ? H : W;
  const h = swap ? W : H;
  const out = new Uint8ClampedArray(data.length);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let sx, sy;  // stored pixel shown at display (x, y)
      switch (orientation) {
        case 1: sx = x; sy = y; break;
        case 2: sx = W - 1 - x; sy = y; break;
        case 3: sx = W - 1 - x; sy = H - 1 - y; break;
        case 4: sx = x; sy = H - 1 - y; break;
        case 5: sx = y; sy = x; break;
        case 6: sx = y; sy = H - 1 - x; break;
        case 7: sx = W - 1 - y; sy = H - 1 - x; break;
        default: sx = W - 1 - y; sy = x; break;  // 8
      }
      const o = (y * w + x) * channels;
      const s = (sy * W + sx) * channels;
      for (let c = 0; c < channels; c++) out[o + c] = data[s + c];
    }
  }
  return { data: out, width: w, height: h };
}

// ---------------------------------------------------------------------------------------------
// Browser decoding (createImageBitmap + OffscreenCanvas; not available under node)

// A 2x1 JPEG whose EXIF orientation is 6: a browser that applies EXIF orientation decodes it as 1x2.
// (Exported for web/demo/decode.js, which probes its own decoding path with it.)
export const PROBE_JPEG_BASE64 = '/9j/4AAQSkZJRgABAQAAAQABAAD/4QAiRXhpZgAATU0AKgAAAAgAAQESAAMAAAABAAYAAAAAAAD/2wBDABALDA4MChAODQ4SERATGCgaGBYWGDEjJR0oOjM9PDkzODdASFxOQERXRTc4UG1RV19iZ2hnPk1xeXBkeFxlZ2P/2wBDARESEhgVGC8aGi9jQjhCY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2P/wAARCAABAAIDASIAAhEBAxEB/8QAFQABAQAAAAAAAAAAAAAAAAAAAAb/xAAaEAEAAQUAAAAAAAAAAAAAAAAAAQIDM3Kx/8QAFQEBAQAAAAAAAAAAAAAAAAAAAwb/xAAZEQABBQAAAAAAAAAAAAAAAAAAAQIDM3H/2gAMAwEAAhEDEQA/AJC9mr2noC3gqbiAzWO1T//Z';

/** @type {Promise<boolean>|null} */
let honoursOrientation = null;

/**
 * Whether this browser's createImageBitmap applies EXIF orientation (probed once, cached).
 * @returns {Promise<boolean>}
 */
export function browserAppliesExifOrientation() {
  if (!honoursOrientation) {
    honoursOrientation = (async () => {
      const bin = atob(PROBE_JPEG_BASE64);
      const bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0));
      const bmp = await createImageBitmap(new Blob([bytes], { type: 'image/jpeg' }), { imageOrientation: 'from-image' });
      const applied = bmp.width === 1 && bmp.height === 2;
      bmp.close();
      return applied;
    })().catch(() => true);
  }
  return honoursOrientation;
}

/**
 * Decodes an image file (JPEG, PNG, WebP, ... whatever the browser decodes) to RGBA pixels in
 * display orientation. Asks createImageBitmap for `imageOrientation: 'from-image'`; if this browser
 * ignores EXIF orientation (probed once with a tiny rotated JPEG), reads the tag itself and applies
 * it with `applyOrientation`. (Current browsers cannot be told to ignore the tag, so there is no
 * mode that always applies it here: that would rotate twice.)
 * @param {Blob} blob
 * @param {{exif?: 'auto'|'browser'}} [options] 'auto' (default): as above; 'browser': return what
 *   createImageBitmap gives, without the probe
 * @returns {Promise<{data: Uint8ClampedArray, width: number, height: number}>}
 */
export async function decodeImage(blob, options = {}) {
  const mode = options.exif ?? 'auto';
  const bitmap = await createImageBitmap(blob, { imageOrientation: 'from-image' });
  const { width, height } = bitmap;
  const canvas = new OffscreenCanvas(width, height);
  const ctx = /** @type {OffscreenCanvasRenderingContext2D} */ (canvas.getContext('2d', { willReadFrequently: true }));
  ctx.drawImage(bitmap, 0, 0);
  bitmap.close();
  /** @type {{data: Uint8ClampedArray, width: number, height: number}} */
  let image = { data: ctx.getImageData(0, 0, width, height).data, width, height };
  if (mode === 'browser' || (await browserAppliesExifOrientation())) return image;
  const orientation = readExifOrientation(new Uint8Array(await blob.slice(0, 256 * 1024).arrayBuffer()));
  if (orientation !== 1) image = applyOrientation(image, orientation);
  return image;
}
