// `npx vlcluster` (web/cli/vlcluster.mjs) as a child process, on a folder of generated photos
// (web/testing/photos.mjs: JPEG, PNG, GIF, WebP, an EXIF-rotated JPEG, bad files) with the tiny model
// from the local hub (web/testing/hub.mjs): embed writes what the native CLI reads (checked with
// numpy where Debian's python3-numpy is installed), skips and lists bad files, resumes after an
// interruption; photos clusters (WASM core) and writes result.json + index.html.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { serveHub } from '../testing/hub.mjs';
import { writePhotoFolder, drawPhoto, webpBytes, rotateCCW, withWebpExifOrientation } from '../testing/photos.mjs';
import { readNpy } from '../cli/files.js';
import { decodeImageBytes } from '../cli/decode.js';
import { preprocessImage } from '../src/preprocess.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const CLI = join(root, 'web/cli/vlcluster.mjs');
let hub;
let tmp;
let photos;
let env;

before(async () => {
  hub = await serveHub();
  tmp = mkdtempSync(join(tmpdir(), 'vlc-cli-'));
  photos = join(tmp, 'photos');
  await writePhotoFolder(photos);
  // No native vlcluster on PATH for these runs: the WASM core is what is tested here.
  env = { ...process.env, VLC_HUB_URL: hub.base, VLC_CACHE_DIR: join(tmp, 'cache'), PATH: '/usr/bin:/bin' };
});
after(async () => {
  await hub?.close();
  rmSync(tmp, { recursive: true, force: true });
});

/** Runs the CLI; resolves {code, stdout, stderr} (the hub serves from this process meanwhile). */
function run(args, extraEnv = {}) {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env: { ...env, ...extraEnv }, encoding: 'utf8' }, (err, stdout, stderr) => {
      resolve({ code: err ? err.code : 0, stdout, stderr });
    });
  });
}

const lines = (p) => readFileSync(p, 'utf8').split('\n').filter(Boolean);

test('vlcluster: usage errors name what is missing', async () => {
  let r = await run(['embed', photos, '--out', join(tmp, 'x')], { VLC_MODEL: '' });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--model: missing \(a model folder, URL, or hub id/);
  r = await run(['embed', photos, '--model', 'test/tiny-clip', '--out', join(tmp, 'x')], { VLC_HUB_URL: '' });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /model "test\/tiny-clip" is a hub id, but no hub is configured: set the hubUrl option \(or the VLC_HUB_URL environment variable\)/);
  r = await run(['embed', join(tmp, 'nowhere'), '--model', 'test/tiny-clip', '--out', join(tmp, 'x')]);
  assert.match(r.stderr, /nowhere: no such folder of photos/);
  r = await run(['photos', photos, '--model', 'test/tiny-clip', '--batch', 'many']);
  assert.match(r.stderr, /--batch: expected a positive integer, got "many"/);
  r = await run(['embed', photos, '--model', 'test/tiny-clip', '--out', join(tmp, 'x'), '--dtype', 'fp16']);
  assert.match(r.stderr, /no vision model for dtype fp16; tried \S+onnx\/vision_model_fp16\.onnx \(HTTP 404\)/);
});

test('decoding: EXIF orientation 6 is applied (stored 48×64, shown 64×48); GIF first frame', async () => {
  const rotated = await decodeImageBytes(readFileSync(join(photos, 'rotated.jpg')));
  assert.equal(rotated.format, 'jpeg');
  assert.deepEqual([rotated.width, rotated.height], [64, 48]);
  const want = drawPhoto(1, 4);
  // top-left pixel of the upright drawing (a stripe colour), within JPEG error
  for (let c = 0; c < 3; c++) assert.ok(Math.abs(rotated.data[c] - want.data[c]) < 30, `channel ${c}: ${rotated.data[c]} vs ${want.data[c]}`);
  const gif = await decodeImageBytes(readFileSync(join(photos, 'g0-2.gif')));
  assert.deepEqual([gif.width, gif.height, gif.format], [64, 48, 'gif']);
  assert.deepEqual(Array.from(gif.data.subarray(0, 4)), Array.from(drawPhoto(0, 2).data.subarray(0, 4)));
});

test('decoding WebP with an EXIF chunk: orientation 6 applied (stored 48×64, shown 64×48, pixel for pixel when lossless)', async () => {
  const upright = drawPhoto(1, 4);
  const stored = rotateCCW(upright);
  const bytes = withWebpExifOrientation(await webpBytes(stored, { lossless: true }), 6, stored.width, stored.height);
  const img = await decodeImageBytes(bytes);
  assert.deepEqual([img.width, img.height, img.format], [64, 48, 'webp']);
  assert.deepEqual(Array.from(img.data), Array.from(upright.data));
  // the same file without its EXIF chunk stays as stored
  const plain = await decodeImageBytes(await webpBytes(stored, { lossless: true }));
  assert.deepEqual([plain.width, plain.height], [48, 64]);
});

test('decoding WebP (@jsquash/webp): lossless = the PNG of the same drawing, pixel for pixel and after CLIP preprocessing; lossy within 6 levels on average; animated and cut files named', async () => {
  const png = await decodeImageBytes(readFileSync(join(photos, 'g0-1.png')));
  const webp = await decodeImageBytes(readFileSync(join(photos, 'g0-1.webp')));
  assert.deepEqual([webp.width, webp.height, webp.format], [64, 48, 'webp']);
  assert.ok(Buffer.from(webp.data).equals(Buffer.from(png.data)), 'lossless WebP: the same RGBA bytes as the PNG');
  assert.deepEqual(Array.from(preprocessImage(webp)), Array.from(preprocessImage(png)), 'the same CLIP input tensor');
  // a larger lossy WebP, made here: its mean error per channel against the drawing (tolerance 6 of 255)
  const drawing = drawPhoto(1, 2, 320, 240);
  const lossy = await decodeImageBytes(await webpBytes(drawing, { quality: 90 }));
  assert.deepEqual([lossy.width, lossy.height], [320, 240]);
  let err = 0;
  for (let i = 0; i < drawing.data.length; i++) err += Math.abs(lossy.data[i] - drawing.data[i]);
  assert.ok(err / drawing.data.length < 6, `lossy WebP: mean |Δ| ${(err / drawing.data.length).toFixed(2)} levels`);
  // an animation (VP8X with the animation flag) and a file cut after its header: errors that say so
  const vp8x = new Uint8Array(30);
  vp8x.set(Buffer.from('RIFF\x16\0\0\0WEBPVP8X\x0a\0\0\0', 'latin1'));
  vp8x[20] = 0x02;  // animation
  vp8x.set([63, 0, 0, 47, 0, 0], 24);  // 64×48
  await assert.rejects(decodeImageBytes(vp8x), /^Error: cannot decode WebP: animated WebP is not supported on the command line/);
  const cut = readFileSync(join(photos, 'g0-1.webp')).subarray(0, 40);
  await assert.rejects(decodeImageBytes(cut), /^Error: cannot decode WebP: libwebp cannot decode it \(the file is cut or corrupt\)/);
  const huge = new Uint8Array(vp8x);
  huge[20] = 0;
  huge.set([0xff, 0x3f, 0, 0xff, 0x3f, 0], 24);  // 16384×16384
  await assert.rejects(decodeImageBytes(huge), /WebP is 16384×16384, over 100 megapixels/);
});

test('vlcluster embed: what the native CLI reads; bad files listed and skipped; resumes', { timeout: 120000 }, async () => {
  const out = join(tmp, 'emb');
  const r = await run(['embed', photos, '--model', 'test/tiny-clip', '--out', out, '--batch', '4']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /download vision_model\.onnx \(bytes\) 408573\/408573 100%/, 'download progress in bytes of the Content-Length');
  assert.match(r.stderr, /building the noun vocabulary with the text model/);
  assert.match(r.stderr, /images 16\/16 100% .* ETA/);
  const files = lines(join(out, 'files.txt'));
  assert.deepEqual(files, ['g0-0.jpg', 'g0-1.png', 'g0-1.webp', 'g0-2.gif', 'g1-0.jpg', 'g1-1.png', 'g1-2.gif', 'g1-4.webp', 'rotated.jpg', 'sub/g0-3.jpg', 'sub/g1-3.jpg']);
  const images = readNpy(join(out, 'images.npy'));
  assert.deepEqual(images.shape, [11, 64]);
  // the lossless WebP of g0-1.png's drawing: the same pixels, so exactly the same embedding
  const row = (/** @type {string} */ name) => Array.from(images.data.subarray(files.indexOf(name) * 64, (files.indexOf(name) + 1) * 64));
  assert.deepEqual(row('g0-1.webp'), row('g0-1.png'));
  const skipped = Object.fromEntries(lines(join(out, 'skipped.txt')).map((l) => l.split('\t')));
  assert.deepEqual(Object.keys(skipped).sort(), ['cut.jpg', 'empty.png', 'notes.txt', 'photo.webp', 'pixel.png']);
  assert.match(skipped['photo.webp'], /^cannot decode WebP: the WebP header is cut or unknown/);
  assert.match(skipped['cut.jpg'], /^cannot decode JPEG: /);
  assert.match(skipped['pixel.png'], /1×1 pixels/);
  assert.match(r.stderr, /skipped notes\.txt: not an image/);
  const words = lines(join(out, 'words.txt'));
  assert.equal(words[0], 'word\tdepth');
  const kept = words.length - 1;
  assert.ok(kept > 0 && kept < 11857, `kept ${kept} nouns of the vocabulary`);
  for (let b = 0; b < 7; b++) assert.deepEqual(readNpy(join(out, `nouns_b${b}.npy`)).shape, [kept, 64]);
  if (existsSync('/usr/bin/python3') && !execFileSync('/usr/bin/python3', ['-c', 'import numpy'], { stdio: 'pipe' }).length) {
    const shapes = execFileSync('/usr/bin/python3', ['-c',
      `import numpy as np; print(np.load("${out}/images.npy").shape, np.load("${out}/nouns_b6.npy").dtype)`], { encoding: 'utf8' });
    assert.equal(shapes.trim(), `(11, 64) float32`);
  }

  // Again: nothing to embed. Then an interruption: a row written without its index line.
  const again = await run(['embed', photos, '--model', 'test/tiny-clip', '--out', out]);
  assert.match(again.stderr, /11 of 16 files already embedded \(resuming\)/);
  assert.doesNotMatch(again.stderr, /building the noun vocabulary/, 'the vocabulary came from the cache');
  const rows = join(out, '.embeddings.f32');
  const index = join(out, '.embeddings.tsv');
  writeFileSync(index, `${lines(index).slice(0, -2).join('\n')}\n`);  // the last two rows lost their lines
  truncateSync(rows, statSync(rows).size - 100);  // and the last row is cut mid-way
  writeFileSync(join(photos, 'g0-new.png'), readFileSync(join(photos, 'g0-1.png')));
  const resumed = await run(['embed', photos, '--model', 'test/tiny-clip', '--out', out]);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.match(resumed.stderr, /9 of 17 files already embedded \(resuming\)/);
  const after = readNpy(join(out, 'images.npy'));
  assert.deepEqual(after.shape, [12, 64]);
  const at = (m, name, list) => m.data.subarray(list.indexOf(name) * 64, (list.indexOf(name) + 1) * 64);
  const filesAfter = lines(join(out, 'files.txt'));
  for (const name of files) assert.deepEqual(Array.from(at(after, name, filesAfter)), Array.from(at(images, name, files)), `${name}: same row after resuming`);
  assert.deepEqual(Array.from(at(after, 'g0-new.png', filesAfter)), Array.from(at(after, 'g0-1.png', filesAfter)));
  rmSync(join(photos, 'g0-new.png'));
});

test('vlcluster embed --hub-url URL --nouns FILE --all-nouns: the whole given list, in its order, under every template', { timeout: 60000 }, async () => {
  const out = join(tmp, 'all');
  const list = join(tmp, 'nouns.txt');
  writeFileSync(list, 'red\nblue\ncheckerboard\nstripe\n');
  const r = await run(['embed', photos, '--model', 'test/tiny-clip-vm', '--hub-url', hub.base, '--out', out, '--nouns', list, '--all-nouns', '--quiet'], { VLC_HUB_URL: '' });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '', '--quiet prints nothing');
  assert.deepEqual(lines(join(out, 'words.txt')), ['word\tdepth', 'red\t-1', 'blue\t-1', 'checkerboard\t-1', 'stripe\t-1']);
  const b3 = readNpy(join(out, 'nouns_b3.npy'));
  assert.deepEqual(b3.shape, [4, 64]);
  let norm = 0;
  for (let c = 0; c < 64; c++) norm += b3.data[c] ** 2;
  assert.ok(Math.abs(norm - 1) < 1e-5, 'unit rows');
});

test('vlcluster photos: embed + cluster with the WASM core -> result.json and an HTML contact sheet', { timeout: 120000 }, async () => {
  const out = join(tmp, 'result');
  const r = await run(['photos', photos, '--model', 'test/tiny-clip-vm', '--out', out, '--k', 'auto']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /clustering 11 photos with the WASM core/);
  const result = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8'));
  assert.equal(result.engine, 'wasm');
  assert.equal(result.groups.length, 2);
  const byGroup = result.groups.map((g) => g.files.map((f) => (f.includes('g0-') ? 0 : 1)));
  for (const g of byGroup) assert.equal(new Set(g).size, 1, `a group mixes the two kinds of photo: ${JSON.stringify(result.groups)}`);
  assert.ok(result.groups.every((g) => g.name), 'every group is named');
  assert.equal(result.skipped.length, 5);
  const html = readFileSync(join(out, 'index.html'), 'utf8');
  for (const g of result.groups) assert.ok(html.includes(`<h2>${g.name} <small>${g.files.length} photos`), `heading for ${g.name}`);
  assert.ok(html.includes('<img src="../photos/sub/g0-3.jpg"'), 'thumbnails link to the photos, relative to the page');
  assert.match(html, /photo\.webp: cannot decode WebP/);
  const native = await run(['photos', photos, '--model', 'test/tiny-clip-vm', '--out', out, '--engine', 'native']);
  assert.equal(native.code, 2);
  assert.match(native.stderr, /--engine native: no native `vlcluster` on PATH/);
});

/** The native CLI, where scripts/test (or VLC_NATIVE_CLI) has built it. */
const nativeCli = [process.env.VLC_NATIVE_CLI, join(root, 'build/native/native/vlcluster')].find((p) => p && existsSync(p));

test('vlcluster photos with the native vlcluster on PATH: it reads embed\'s files (nouns_b*.npy, the words.txt TSV) and names the groups', { skip: nativeCli ? false : 'no native CLI built (build/native/native/vlcluster, or VLC_NATIVE_CLI)', timeout: 120000 }, async () => {
  const bin = join(tmp, 'bin');
  execFileSync('mkdir', ['-p', bin]);
  execFileSync('ln', ['-sf', nativeCli, join(bin, 'vlcluster')]);
  const out = join(tmp, 'native');
  const r = await run(['photos', photos, '--model', 'test/tiny-clip-vm', '--out', out], { PATH: `${bin}:/usr/bin:/bin` });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /clustering 11 photos with the native vlcluster/);
  const result = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8'));
  assert.equal(result.engine, 'native');
  assert.equal(result.groups.length, 2);
  for (const g of result.groups) assert.equal(new Set(g.files.map((f) => (f.includes('g0-') ? 0 : 1))).size, 1, JSON.stringify(result.groups));
  assert.ok(result.groups.every((g) => g.name), 'every group is named');
  const native = JSON.parse(readFileSync(join(out, 'native-result.json'), 'utf8'));
  assert.equal(native.labels.length, 11);
});
