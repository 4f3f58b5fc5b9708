// Image files -> RGBA pixels under node, with decoders from npm that need no native binaries at
// install: JPEG (jpeg-js), PNG (pngjs), GIF's first frame (omggif), pure JS; WebP (@jsquash/webp:
// libwebp compiled to WebAssembly, the decoder of the Squoosh app). The EXIF orientation of a
// JPEG is applied with the same code the browser path uses (preprocess.js), so a photo taken
// sideways is encoded upright in both. (Browsers decode all four themselves: nothing here is
// imported by web/src/.)
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import jpeg from 'jpeg-js';
import pngjs from 'pngjs';
import omggif from 'omggif';
import { applyOrientation, readExifOrientation, readWebpOrientation } from '../src/preprocess.js';

/** Pixel budget per image (jpeg-js refuses larger ones by default too): 100 megapixels. */
const MAX_PIXELS = 100e6;

/**
 * The format from the first bytes (extensions lie: a .jpg that is a PNG decodes as a PNG).
 * @param {Uint8Array} b
 * @returns {'jpeg'|'png'|'gif'|'webp'|'heic'|'bmp'|null}
 */
export function sniffFormat(b) {
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg';
  if (b.length >= 8 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47) return 'png';
  if (b.length >= 6 && b[0] === 0x47 && b[1] === 0x49 && b[2] === 0x46 && b[3] === 0x38) return 'gif';
  const ascii = (/** @type {number} */ from, /** @type {number} */ to) => String.fromCharCode(...b.subarray(from, to));
  if (b.length >= 12 && ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') return 'webp';
  if (b.length >= 12 && ascii(4, 8) === 'ftyp' && /^(heic|heix|mif1|avif)/.test(ascii(8, 12))) return 'heic';
  if (b.length >= 2 && b[0] === 0x42 && b[1] === 0x4d) return 'bmp';
  return null;
}

/**
 * Decodes one image file's bytes to display-oriented RGBA.
 * @param {Uint8Array} bytes
 * @returns {Promise<{data: Uint8Array | Uint8ClampedArray, width: number, height: number, format: string}>}
 */
export async function decodeImageBytes(bytes) {
  if (bytes.length === 0) throw new Error('file is empty (0 bytes)');
  const format = sniffFormat(bytes);
  try {
    return format === 'webp' ? { ...(await decodeWebp(bytes)), format } : decodeAs(format, bytes);
  } catch (e) {
    if (format && /^(jpeg|png|gif|webp)$/.test(format)) throw new Error(`cannot decode ${format === 'webp' ? 'WebP' : format.toUpperCase()}: ${/** @type {Error} */ (e).message}`);
    throw e;
  }
}

/** @type {Promise<(bytes: Uint8Array) => Promise<ImageData>> | null} */
let webpDecoder = null;

/**
 * @jsquash/webp's decode(), its WebAssembly compiled once. Under node its Emscripten glue cannot
 * fetch the .wasm beside it by URL, so the module is read from the package's folder and handed to
 * init() (the package's documented manual initialisation).
 */
function loadWebpDecoder() {
  webpDecoder ??= (async () => {
    const { default: decode, init } = await import('@jsquash/webp/decode.js');
    const wasm = readFileSync(createRequire(import.meta.url).resolve('@jsquash/webp/codec/dec/webp_dec.wasm'));
    await init(await WebAssembly.compile(wasm));
    return decode;
  })();
  return webpDecoder;
}

/**
 * Canvas size and animation flag from a WebP's first chunk (VP8X, VP8L or VP8), read before
 * decoding so that the pixel budget is checked first; null when the header is cut.
 * @param {Uint8Array} b
 * @returns {{width: number, height: number, animated: boolean} | null}
 */
export function readWebpHeader(b) {
  if (b.length < 30) return null;
  const chunk = String.fromCharCode(...b.subarray(12, 16));
  const u24 = (/** @type {number} */ o) => b[o] | (b[o + 1] << 8) | (b[o + 2] << 16);
  if (chunk === 'VP8X') return { width: u24(24) + 1, height: u24(27) + 1, animated: (b[20] & 0x02) !== 0 };
  if (chunk === 'VP8L' && b[20] === 0x2f) {
    const bits = b[21] | (b[22] << 8) | (b[23] << 16) | (b[24] << 24);
    return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1, animated: false };
  }
  if (chunk === 'VP8 ' && b[23] === 0x9d && b[24] === 0x01 && b[25] === 0x2a) {
    return { width: (b[26] | (b[27] << 8)) & 0x3fff, height: (b[28] | (b[29] << 8)) & 0x3fff, animated: false };
  }
  return null;
}

/** @param {Uint8Array} bytes */
async function decodeWebp(bytes) {
  const head = readWebpHeader(bytes);
  if (!head) throw new Error('the WebP header is cut or unknown');
  // libwebp's still-image decoder refuses animations (a GIF gives its first frame: omggif has one)
  if (head.animated) throw new Error('animated WebP is not supported on the command line: save its first frame as PNG');
  if (head.width * head.height > MAX_PIXELS) throw new Error(`WebP is ${head.width}×${head.height}, over ${MAX_PIXELS / 1e6} megapixels`);
  const decode = await loadWebpDecoder();
  const img = await decode(bytes).catch((/** @type {Error} */ e) => {
    throw new Error(e.message === 'Decoding error' ? 'libwebp cannot decode it (the file is cut or corrupt)' : e.message);
  });
  const data = new Uint8Array(img.data.buffer, img.data.byteOffset, img.data.byteLength);
  return applyOrientation({ data, width: img.width, height: img.height }, readWebpOrientation(bytes));
}

/** @param {ReturnType<typeof sniffFormat>} format @param {Uint8Array} bytes */
function decodeAs(format, bytes) {
  switch (format) {
    case 'jpeg': {
      const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: MAX_PIXELS / 1e6 });
      return { ...applyOrientation({ data: img.data, width: img.width, height: img.height }, readExifOrientation(bytes)), format };
    }
    case 'png': {
      const img = pngjs.PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      return { data: new Uint8Array(img.data.buffer, img.data.byteOffset, img.data.byteLength), width: img.width, height: img.height, format };
    }
    case 'gif': {
      const reader = new omggif.GifReader(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      if (reader.width * reader.height > MAX_PIXELS) throw new Error(`GIF is ${reader.width}×${reader.height}, over ${MAX_PIXELS / 1e6} megapixels`);
      const data = new Uint8Array(reader.width * reader.height * 4);
      reader.decodeAndBlitFrameRGBA(0, data);  // the first frame, as a browser's still image
      return { data, width: reader.width, height: reader.height, format };
    }
    case 'heic':
      throw new Error('HEIC/AVIF is not supported on the command line: convert it to JPEG or PNG');
    case 'bmp':
      throw new Error('BMP is not supported on the command line: convert it to PNG');
    default:
      throw new Error('not an image (JPEG, PNG, WebP or GIF expected)');
  }
}
