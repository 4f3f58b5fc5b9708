// Image files -> RGBA pixels under node, with pure-JS decoders from npm (no native binaries to
// download at install): JPEG (jpeg-js), PNG (pngjs), GIF's first frame (omggif). The EXIF
// orientation of a JPEG is applied with the same code the browser path uses (preprocess.js), so
// a photo taken sideways is encoded upright in both. WebP has no well-kept pure-JS decoder: it is
// reported as unsupported, with what to do instead.
import jpeg from 'jpeg-js';
import pngjs from 'pngjs';
import omggif from 'omggif';
import { applyOrientation, readExifOrientation } from '../src/preprocess.js';

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
 * @returns {{data: Uint8Array | Uint8ClampedArray, width: number, height: number, format: string}}
 */
export function decodeImageBytes(bytes) {
  if (bytes.length === 0) throw new Error('file is empty (0 bytes)');
  const format = sniffFormat(bytes);
  try {
    return decodeAs(format, bytes);
  } catch (e) {
    if (format && /^(jpeg|png|gif)$/.test(format)) throw new Error(`cannot decode ${format.toUpperCase()}: ${/** @type {Error} */ (e).message}`);
    throw e;
  }
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
    case 'webp':
      throw new Error('WebP is not supported on the command line (no pure-JavaScript WebP decoder): convert it to JPEG or PNG, or cluster it in the browser');
    case 'heic':
      throw new Error('HEIC/AVIF is not supported on the command line: convert it to JPEG or PNG');
    case 'bmp':
      throw new Error('BMP is not supported on the command line: convert it to PNG');
    default:
      throw new Error('not an image (JPEG, PNG or GIF expected)');
  }
}
