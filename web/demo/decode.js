// Fast, lean decoding for the demo (issue 16 item 4), in the worker and on the page.
//
// The package's decodeImage() hands preprocessImage() the full-resolution pixels, and Pillow's
// exact bicubic resize then convolves every one of them: ≈ 190 ms for a 12-megapixel photo, and a
// 48 MB RGBA copy per photo. Here the browser's own decoder downscales first (createImageBitmap
// with resizeWidth/resizeHeight, resizeQuality 'high': done in the decoder, in native code) to a
// shorter side of DECODE_SHORT_SIDE = 2 × 224, keeping the aspect ratio; the exact Pillow resample
// of preprocess.js then takes 448 -> 224 as before. The embeddings differ from the full-resolution
// path by a little (the tolerance is tested in test/demo.test.mjs, EMBEDDING_TOLERANCE there).
//
// Thumbnails (makeThumbnail) are JPEG blobs of at most THUMB_SIDE px: the page shows those, never
// the originals, so that 500 photos do not keep 500 decoded 12-megapixel images in memory.

import {
  readJpegInfo, browserAppliesExifOrientation, applyOrientation, PROBE_JPEG_BASE64,
} from '../src/preprocess.js';

/** Shorter side the browser decodes to before the exact resample: a small multiple of 224. */
export const DECODE_SHORT_SIDE = 448;
/** Longest side of a thumbnail. */
export const THUMB_SIDE = 256;

/**
 * The size to ask the browser's decoder for, keeping the aspect ratio, or null to decode at full
 * size (the image is already small: downscaling by less than 1.5× saves little and costs accuracy).
 * @param {number} width display width
 * @param {number} height display height
 * @param {number} [short] wanted shorter side
 * @returns {[number, number] | null}
 */
export function downscaleSize(width, height, short = DECODE_SHORT_SIDE) {
  const s = Math.min(width, height);
  if (!(s > 0) || s < 1.5 * short) return null;
  return width <= height
    ? [short, Math.max(short, Math.round((height * short) / width))]
    : [Math.max(short, Math.round((width * short) / height)), short];
}

/**
 * Box of at most `max` px keeping the aspect ratio (never upscaled).
 * @param {number} width @param {number} height @param {number} [max]
 * @returns {[number, number]}
 */
export function thumbSize(width, height, max = THUMB_SIDE) {
  const f = Math.min(1, max / Math.max(width, height));
  return [Math.max(1, Math.round(width * f)), Math.max(1, Math.round(height * f))];
}

/**
 * Stored size and EXIF orientation of a JPEG from its header (no decoding); null when the blob
 * is not a JPEG or the header has no size.
 * @param {Blob} blob
 * @returns {Promise<{width: number, height: number, orientation: number} | null>}
 */
async function jpegHeader(blob) {
  const info = readJpegInfo(new Uint8Array(await blob.slice(0, 256 * 1024).arrayBuffer()));
  return info && info.width && info.height ? info : null;
}

/** @param {ImageBitmap} bitmap */
function bitmapPixels(bitmap) {
  const { width, height } = bitmap;
  const canvas = new OffscreenCanvas(width, height);
  const ctx = /** @type {OffscreenCanvasRenderingContext2D} */ (canvas.getContext('2d', { willReadFrequently: true }));
  ctx.drawImage(bitmap, 0, 0);
  bitmap.close();
  return { data: ctx.getImageData(0, 0, width, height).data, width, height };
}

/**
 * The n/8 scale (n = 1..8) at which the JPEG decoder's DCT scaling gives a shorter side of at
 * least `minShort`: the decoder then skips most of the inverse DCT work and never builds the
 * full-size image. 8 = full size.
 * @param {number} short the stored shorter side @param {number} minShort
 */
export function dctScale(short, minShort) {
  return Math.min(8, Math.max(1, Math.ceil((minShort * 8) / short)));
}

/** @type {Promise<boolean> | null} */
let frameKeepsOrientation = null;

/**
 * Whether a frame of WebCodecs' ImageDecoder, turned into a bitmap, still has its stored
 * orientation (Chromium puts the EXIF turn in VideoFrame.rotation and createImageBitmap(frame)
 * ignores it); probed once with the package's 2×1 JPEG of orientation 6.
 */
function imageDecoderKeepsOrientation() {
  frameKeepsOrientation ??= (async () => {
    const bytes = Uint8Array.from(atob(PROBE_JPEG_BASE64), (c) => c.charCodeAt(0));
    const bmp = await framedBitmap(new Blob([bytes], { type: 'image/jpeg' }), 2, 1, null);
    const kept = bmp.width === 2;
    bmp.close();
    return kept;
  })();
  return frameKeepsOrientation;
}

/**
 * Decodes a JPEG with WebCodecs' ImageDecoder at the DCT scale for `size` (its desiredWidth /
 * desiredHeight: Chromium decodes at the largest n/8 scale that fits them), then lets the browser
 * scale that to exactly `size` (stored orientation).
 * @param {Blob} blob @param {number} width stored width @param {number} height stored height
 * @param {[number, number] | null} size
 */
async function framedBitmap(blob, width, height, size) {
  const n = size ? dctScale(Math.min(width, height), Math.min(size[0], size[1])) : 8;
  const decoder = new ImageDecoder({
    data: blob.stream(), type: 'image/jpeg', desiredWidth: Math.ceil((width * n) / 8), desiredHeight: Math.ceil((height * n) / 8),
  });
  try {
    const { image } = await decoder.decode();
    try {
      return await resizedBitmap(image, image.displayWidth, image.displayHeight, size);
    } finally {
      image.close();
    }
  } finally {
    decoder.close();
  }
}

/**
 * `source` scaled to `size` (null: as it is) as an ImageBitmap. Without createImageBitmap (older
 * browsers, some embedded web views) it is drawn on a canvas with the browser's high-quality
 * smoothing and taken from there (OffscreenCanvas.transferToImageBitmap).
 * @param {CanvasImageSource} source @param {number} width @param {number} height
 * @param {[number, number] | null} size
 * @returns {Promise<ImageBitmap>}
 */
async function resizedBitmap(source, width, height, size) {
  if (typeof createImageBitmap === 'function') {
    return createImageBitmap(/** @type {ImageBitmapSource} */ (source), size ? { resizeWidth: size[0], resizeHeight: size[1], resizeQuality: 'high' } : {});
  }
  const [w, h] = size ?? [width, height];
  const canvas = new OffscreenCanvas(w, h);
  const ctx = /** @type {OffscreenCanvasRenderingContext2D} */ (canvas.getContext('2d'));
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(source, 0, 0, w, h);
  return canvas.transferToImageBitmap();
}

/**
 * Decodes a blob without createImageBitmap: with WebCodecs' ImageDecoder where it knows the type
 * (a worker has no <img>), else with an <img> element (the page). Both give the display
 * orientation for what scaledBitmap sends here (JPEGs go to framedBitmap first).
 * @param {Blob} blob
 * @returns {Promise<{source: CanvasImageSource, width: number, height: number, close: () => void}>}
 */
async function decodeWithoutBitmap(blob) {
  if (typeof ImageDecoder !== 'undefined' && blob.type && await ImageDecoder.isTypeSupported(blob.type)) {
    const decoder = new ImageDecoder({ data: blob.stream(), type: blob.type });
    try {
      const { image } = await decoder.decode();
      return { source: image, width: image.displayWidth, height: image.displayHeight, close: () => image.close() };
    } finally {
      decoder.close();
    }
  }
  if (typeof Image === 'undefined') throw new Error('cannot decode image: this browser has neither createImageBitmap nor ImageDecoder here');
  const url = URL.createObjectURL(blob);
  try {
    const img = new Image();
    img.src = url;
    await img.decode().catch(() => { throw new Error('cannot decode image'); });
    return { source: img, width: img.naturalWidth, height: img.naturalHeight, close: () => {} };
  } finally {
    URL.revokeObjectURL(url);
  }
}

/**
 * A bitmap of the blob downscaled by the decoder to `sizeFor(w, h)` (null: full size), and the
 * EXIF orientation still to apply to it (1: none). JPEGs get their size from the header and are
 * decoded by ImageDecoder at a reduced DCT scale where the browser has it (Chromium), else by
 * createImageBitmap with resizeWidth/resizeHeight; other formats are decoded once at full size
 * and the bitmap scaled (native code, no full-size pixel copy into JS). Without createImageBitmap,
 * decodeWithoutBitmap and a canvas stand in for it.
 * @param {Blob} blob
 * @param {(w: number, h: number) => [number, number] | null} sizeFor
 * @returns {Promise<{bitmap: ImageBitmap, orientation: number}>}
 */
async function scaledBitmap(blob, sizeFor) {
  const head = await jpegHeader(blob);
  if (head && typeof ImageDecoder !== 'undefined') {
    try {
      const keeps = await imageDecoderKeepsOrientation();
      // a decoder that turns the frame itself is asked for the display-oriented size
      const size = !keeps && head.orientation >= 5 ? sizeFor(head.height, head.width) : sizeFor(head.width, head.height);
      const bitmap = await framedBitmap(blob, head.width, head.height, size);
      return { bitmap, orientation: keeps ? head.orientation : 1 };
    } catch { /* a JPEG ImageDecoder refuses: createImageBitmap below reports the error */ }
  }
  if (typeof createImageBitmap !== 'function') {
    const decoded = await decodeWithoutBitmap(blob);
    try {
      return { bitmap: await resizedBitmap(decoded.source, decoded.width, decoded.height, sizeFor(decoded.width, decoded.height)), orientation: 1 };
    } finally {
      decoded.close();
    }
  }
  const applies = await browserAppliesExifOrientation();
  const opts = /** @type {ImageBitmapOptions} */ ({ imageOrientation: 'from-image' });
  if (head) {
    // createImageBitmap's resize is of the display-oriented image when the browser applies EXIF
    const turned = applies && head.orientation >= 5;
    const size = turned ? sizeFor(head.height, head.width) : sizeFor(head.width, head.height);
    const bitmap = await createImageBitmap(blob, size ? { ...opts, resizeWidth: size[0], resizeHeight: size[1], resizeQuality: 'high' } : opts);
    return { bitmap, orientation: applies ? 1 : head.orientation };
  }
  const full = await createImageBitmap(blob, opts);
  const size = sizeFor(full.width, full.height);
  if (!size) return { bitmap: full, orientation: 1 };
  const bitmap = await createImageBitmap(full, { resizeWidth: size[0], resizeHeight: size[1], resizeQuality: 'high' });
  full.close();
  return { bitmap, orientation: 1 };
}

/**
 * RGBA pixels of a photo for preprocessImage(): display orientation, shorter side
 * DECODE_SHORT_SIDE when it was larger (see the top of this file).
 * @param {Blob} blob
 * @param {{short?: number}} [options] short: the shorter side wanted (0: full size)
 */
export async function decodeForClip(blob, options = {}) {
  const short = options.short ?? DECODE_SHORT_SIDE;
  const { bitmap, orientation } = await scaledBitmap(blob, (w, h) => (short ? downscaleSize(w, h, short) : null));
  let image = bitmapPixels(bitmap);
  if (orientation !== 1) image = applyOrientation(image, orientation);
  return image;
}

/**
 * A small JPEG of the photo, at most THUMB_SIDE px on its longer side, for the page's thumbnails.
 * @param {Blob} blob
 * @returns {Promise<Blob>}
 */
export async function makeThumbnail(blob, max = THUMB_SIDE) {
  const { bitmap, orientation } = await scaledBitmap(blob, (w, h) => (Math.max(w, h) > max ? thumbSize(w, h, max) : null));
  let canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  if (orientation !== 1) {
    // this browser ignores EXIF orientation: turn the small image ourselves
    const turned = applyOrientation(bitmapPixels(bitmap), orientation);
    canvas = new OffscreenCanvas(turned.width, turned.height);
    /** @type {OffscreenCanvasRenderingContext2D} */ (canvas.getContext('2d')).putImageData(new ImageData(turned.data, turned.width, turned.height), 0, 0);
  } else {
    /** @type {OffscreenCanvasRenderingContext2D} */ (canvas.getContext('2d')).drawImage(bitmap, 0, 0);
    bitmap.close();
  }
  return canvas.convertToBlob({ type: 'image/jpeg', quality: 0.85 });
}

