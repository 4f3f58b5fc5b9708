// PhotoSession (web/src/photo_session.js): the photo pipeline kept as a session. runPipeline is
// its single pass; re-clustering encodes no photo again and reuses the core's stages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PhotoSession, runPipeline } from '../src/photo_session.js';
import { colourPhotos, tinyModel } from '../testing/data.mjs';

/** 12 photos in 3 colours (colourPhotos), plus one 4×4 (an error) as file 5. */
function photos() {
  const files = colourPhotos(12);
  files.splice(5, 0, { name: 'tiny.png', data: new Uint8ClampedArray(4 * 4 * 4), width: 4, height: 4 });
  return files;
}

const runtime = async () => ({ ort: await import('onnxruntime-web'), numThreads: 1, executionProviders: ['wasm'], cache: false });

test('PhotoSession: one pass equals runPipeline; a new K re-clusters without encoding a photo again', { timeout: 120000 }, async () => {
  const files = photos();
  const model = tinyModel('tiny-clip-session-test');
  const rt = await runtime();
  const once = await runPipeline(files, { model, ...rt, k: 3, worker: false });

  const s = await PhotoSession.open({ model, ...rt });
  try {
    const stages = new Set();
    const added = await s.addFiles(files, { onProgress: (p) => stages.add(p.stage) });
    assert.equal(added.added, 12);
    assert.deepEqual(added.errors.map((e) => e.index), [5], 'the 4×4 image is an error entry with its file index');
    assert.match(added.errors[0].message, /^tiny\.png: image is 4×4 pixels/);
    assert.ok(stages.has('decode') && stages.has('encode-images'), [...stages].join(','));
    assert.equal(s.count, 12);
    assert.equal(s.imagesEncoded, 12);

    const three = await s.cluster({ k: 3 });
    assert.deepEqual(Array.from(three.labels), Array.from(once.labels), 'the same labels as runPipeline');
    assert.deepEqual(three.keptNouns, once.keptNouns);
    assert.deepEqual(three.clusters.map((c) => c.name), once.clusters.map((c) => c.name));
    assert.equal(three.labels[5], -1, 'the error file has no label');
    assert.ok(Number.isNaN(three.embedding2d[10]) && Number.isNaN(three.embedding2d[11]), 'nor a map position');

    const before = s.counts();
    const two = await s.cluster({ k: 2 });
    assert.equal(two.k, 2);
    assert.equal(s.imagesEncoded, 12, 'no photo encoded again');
    const after = s.counts();
    assert.equal(after.partition, before.partition + 1, 'the partition ran again');
    assert.equal(new Set(Array.from(two.labels).filter((l) => l >= 0)).size, 2);
    // Back to K = 3: the same labels as the first time (a session is deterministic).
    const again = await s.cluster({ k: 3 });
    assert.deepEqual(Array.from(again.labels), Array.from(three.labels));

    // embeddings() + restore(): a new session clusters the saved embeddings without any photo.
    const saved = s.embeddings();
    assert.equal(saved.data.length, 12 * s.dim);
    assert.deepEqual(saved.rows, [0, 1, 2, 3, 4, 6, 7, 8, 9, 10, 11, 12]);
    const t = await PhotoSession.open({ model, ...rt });
    try {
      t.restore({ images: saved.data, indices: saved.rows, errors: s.errors, fileCount: s.fileCount });
      const restored = await t.cluster({ k: 3 });
      assert.deepEqual(Array.from(restored.labels), Array.from(three.labels));
      assert.equal(t.imagesEncoded, 0);
      assert.throws(() => t.restore({ images: new Float32Array(5), indices: [0, 1], fileCount: 2 }), /of another model/);
    } finally {
      await t.dispose();
    }
  } finally {
    await s.dispose();
  }
});

test('PhotoSession: bad options name the closest key; fewer than 2 photos is a clear error', { timeout: 60000 }, async () => {
  const model = tinyModel('tiny-clip-session-bad-test');
  const rt = await runtime();
  await assert.rejects(PhotoSession.open({ model, ...rt, batchsize: 4 }), /PhotoSession\.open.*batchsize/s);
  const s = await PhotoSession.open({ model, ...rt });
  try {
    await assert.rejects(s.addFiles([], { batchsize: 4 }), /batchSize/);
    await assert.rejects(s.cluster({ kk: 3 }), /PhotoSession\.cluster.*kk.*\bk\b/s);
    // A decoder of one's own (the demo's reduced-scale one): its failure and the package's own
    // checks become error entries with the file's index.
    const decode = async (/** @type {Blob} */ blob) => { throw new Error(`no decoder for ${blob.size} bytes`); };
    const bad = await s.addFiles([new Blob(['text'], { type: 'text/plain' }), new Blob([]), new Blob(['abc'], { type: 'image/png' })], { decode });
    assert.deepEqual(bad.errors.map((e) => e.message), [
      'file #0: not an image (type text/plain)', 'file #1: file is empty (0 bytes)', 'file #2: cannot decode image: no decoder for 3 bytes',
    ]);
    assert.equal(s.count, 0);
    await s.addFiles([{ name: 'a.png', data: new Uint8ClampedArray(16 * 16 * 4), width: 16, height: 16 }]);
    await assert.rejects(s.cluster({ k: 2 }), /only 1 of 4 files could be read as images; clustering needs at least 2/);
  } finally {
    await s.dispose();
  }
});
