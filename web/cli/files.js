// What the command line reads and writes besides images: .npy files in the layout the native
// `vlcluster cluster` reads (native/cli.cpp: float32, C order), the resumable store of the
// embeddings done so far, and the progress line.
import { appendFileSync, existsSync, readFileSync, writeFileSync, openSync, ftruncateSync, closeSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A float32 .npy (format 1.0, little-endian, C order).
 * @param {string} path @param {Float32Array} data @param {number[]} shape
 */
export function writeNpy(path, data, shape) {
  if (shape.reduce((a, b) => a * b, 1) !== data.length) throw new Error(`writeNpy ${path}: ${data.length} values for shape ${shape.join('×')}`);
  const dims = shape.length === 1 ? `${shape[0]},` : shape.join(', ');
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${dims}), }`;
  // magic (6) + version (2) + length (2) + header, padded with spaces to a multiple of 64, ending in \n
  header += ' '.repeat(64 - ((10 + header.length + 1) % 64 || 64)) + '\n';
  const head = Buffer.alloc(10);
  head.write('\x93NUMPY', 0, 'latin1');
  head[6] = 1;
  head[7] = 0;
  head.writeUInt16LE(header.length, 8);
  writeFileSync(path, Buffer.concat([head, Buffer.from(header, 'latin1'), Buffer.from(data.buffer, data.byteOffset, data.byteLength)]));
}

/**
 * Reads back a float32 .npy written by writeNpy (tests, and `photos` clustering with the WASM core).
 * @param {string} path
 * @returns {{data: Float32Array, shape: number[]}}
 */
export function readNpy(path) {
  const b = readFileSync(path);
  if (b.toString('latin1', 0, 6) !== '\x93NUMPY') throw new Error(`${path}: not a .npy file`);
  const len = b.readUInt16LE(8);
  const header = b.toString('latin1', 10, 10 + len);
  if (!header.includes("'<f4'")) throw new Error(`${path}: expected float32 ('<f4'), header ${header.trim()}`);
  const shape = (/\(([^)]*)\)/.exec(header)?.[1] ?? '').split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  const start = 10 + len;
  const data = new Float32Array(b.buffer.slice(b.byteOffset + start, b.byteOffset + b.length));
  return { data, shape };
}

/**
 * Embeddings done so far, kept beside the output as they are made so that an interrupted run
 * goes on where it stopped: `.embeddings.f32` (rows, appended) and `.embeddings.tsv` (one line
 * per row: the file's path, size and mtime, so that a photo edited since is embedded again).
 * The first line of the .tsv names the model; another model starts afresh.
 */
export class EmbeddingStore {
  /** @param {string} dir @param {string} model @param {number} dim */
  constructor(dir, model, dim) {
    this.rows = join(dir, '.embeddings.f32');
    this.index = join(dir, '.embeddings.tsv');
    this.dim = dim;
    /** @type {Map<string, Float32Array>} key -> row */
    this.done = new Map();
    const head = `# vlcluster embeddings\tmodel=${model}\tdim=${dim}`;
    const lines = existsSync(this.index) ? readFileSync(this.index, 'utf8').split('\n').filter(Boolean) : [];
    if (lines[0] !== head || !existsSync(this.rows)) {
      writeFileSync(this.index, `${head}\n`);
      writeFileSync(this.rows, new Uint8Array(0));
      return;
    }
    const bytes = readFileSync(this.rows);
    // Rows are appended before their index line: rows without a line (a run killed in between) are dropped.
    const n = Math.min(lines.length - 1, Math.floor(bytes.length / (4 * dim)));
    const all = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + n * 4 * dim));
    for (let i = 0; i < n; i++) this.done.set(lines[i + 1], all.subarray(i * dim, (i + 1) * dim));
    if (bytes.length !== n * 4 * dim) {
      const fd = openSync(this.rows, 'r+');
      ftruncateSync(fd, n * 4 * dim);
      closeSync(fd);
    }
    if (lines.length - 1 !== n) writeFileSync(this.index, `${[head, ...lines.slice(1, n + 1)].join('\n')}\n`);
  }

  /** @param {string[]} keys @param {Float32Array} rows keys.length × dim */
  add(keys, rows) {
    appendFileSync(this.rows, new Uint8Array(rows.buffer, rows.byteOffset, rows.byteLength));
    appendFileSync(this.index, `${keys.join('\n')}\n`);
    keys.forEach((k, i) => this.done.set(k, rows.slice(i * this.dim, (i + 1) * this.dim)));
  }
}

/**
 * A one-line progress bar with rate and ETA on a terminal; a line per tenth elsewhere (logs).
 * @param {string} what @param {number} total @param {NodeJS.WriteStream} [out]
 */
export function progressBar(what, total, out = process.stderr) {
  const start = Date.now();
  let lastTenth = -1;
  const clock = (/** @type {number} */ s) => `${Math.floor(s / 60)}:${String(Math.round(s % 60)).padStart(2, '0')}`;
  return {
    /** @param {number} done @param {number} [skipped] already done before this run (not in the rate) */
    update(done, skipped = 0) {
      const secs = (Date.now() - start) / 1000;
      const rate = secs > 0 ? (done - skipped) / secs : 0;
      const eta = rate > 0 ? clock((total - done) / rate) : '?';
      const frac = total ? done / total : 1;
      const line = `${what} ${done}/${total} ${(100 * frac).toFixed(0)}%  ${rate.toFixed(1)}/s  ETA ${eta}`;
      if (out.isTTY) {
        const width = 24;
        out.write(`\r[${'#'.repeat(Math.round(frac * width)).padEnd(width, '.')}] ${line}\u001b[K`);
        if (done >= total) out.write('\n');
      } else if (Math.floor(frac * 10) > lastTenth || done >= total) {
        lastTenth = Math.floor(frac * 10);
        out.write(`${line}\n`);
      }
    },
  };
}
