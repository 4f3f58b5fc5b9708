// A Vite app using vlcluster as the package README says: the WebAssembly core in the page, and
// the photo pipeline in the package's Worker through src/photos.js, which the test writes from
// web/README.md "Using it with a bundler" (as is the app's public/ folder).
// web/test/bundler.test.mjs builds it from the packed tarball and runs it in headless Chromium;
// the results land in window.result. (It is not under web/test/: node --test would run every .js
// file there as a test.)
import { clusterEmbeddings } from 'vlcluster';
import { clusterPhotos } from './src/photos.js';
import { vlclusterFiles } from './src/files.js';

/** 12 PNGs in 3 colours (photo i has colour i % 3), drawn here. */
async function photos() {
  const colours = [[220, 40, 40], [40, 190, 60], [40, 60, 220]];
  const files = [];
  for (let i = 0; i < 12; i++) {
    const [r, g, b] = colours[i % 3];
    const canvas = new OffscreenCanvas(48, 40);
    const ctx = canvas.getContext('2d');
    ctx.fillStyle = `rgb(${r + i}, ${g}, ${b})`;
    ctx.fillRect(0, 0, 48, 40);
    ctx.fillStyle = 'rgb(250, 250, 250)';
    ctx.fillRect(4 + i, 6, 10, 10);
    const blob = await canvas.convertToBlob({ type: 'image/png' });
    files.push(new File([blob], `photo-${i}.png`, { type: 'image/png' }));
  }
  return files;
}

async function run() {
  // Embeddings, in the page: 30 rows in 3 groups, d = 8.
  const d = 8;
  const images = Float32Array.from({ length: 30 * d }, (_, i) => (Math.floor(i / d) % 3 === i % 3 ? 1 : 0) + 0.01 * ((i * 7) % 5));
  const embeddings = await clusterEmbeddings(images, null, { numImages: 30, dim: d, k: 3, method: 'kmeans', wasmUrl: vlclusterFiles.wasmUrl });

  // Photos, through the Worker.
  // k: 3, as the automatic K looks at 2..⌊M/5⌋ = 2 for 12 photos.
  const result = await clusterPhotos(await photos(), { k: 3, ...vlclusterFiles });
  return { embeddingLabels: Array.from(embeddings.labels), labels: Array.from(result.labels), k: result.k, backend: result.backend, errors: result.errors };
}

run().then(
  (r) => { window.result = r; document.getElementById('out').textContent = JSON.stringify(r); },
  (e) => { window.result = { error: `${e.name}: ${e.message}` }; document.getElementById('out').textContent = String(e); },
);
