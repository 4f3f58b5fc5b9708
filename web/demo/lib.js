// Pure helpers of the demo (no DOM): the ZIP writer, CSV/JSON export rows, the 2-D map fallback,
// the automatic-K range, ETA formatting. Runs in the page and under node (web/demo/test/).

// ---------------------------------------------------------------------------------------------
// ZIP: a minimal writer, by hand. Entries are STORED (method 0, no compression): photos (JPEG,
// PNG, HEIC, WebP) are compressed already, so deflate would gain nearly nothing, and no
// compression library is needed. What a ZIP needs then is only the CRC-32 of each file
// (below), a local header before each file's bytes, a central directory and its end record.
// Limits: no ZIP64, so at most 65 535 entries and 4 GiB - 1 in all (checked, with a clear error).

/** CRC-32 (IEEE 802.3, polynomial 0xEDB88320 reflected), table-driven. */
const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/**
 * CRC-32 of bytes, continuing from `crc` (0 to start).
 * @param {Uint8Array} bytes
 * @param {number} [crc]
 */
export function crc32(bytes, crc = 0) {
  let c = ~crc >>> 0;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

/** MS-DOS date and time of a JS time (local time, 2-second resolution, 1980..2107). */
function dosDateTime(/** @type {number} */ ms) {
  const d = new Date(Number.isFinite(ms) ? ms : Date.now());
  const year = Math.min(2107, Math.max(1980, d.getFullYear()));
  return {
    time: (d.getHours() << 11) | (d.getMinutes() << 5) | (d.getSeconds() >> 1),
    date: ((year - 1980) << 9) | ((d.getMonth() + 1) << 5) | d.getDate(),
  };
}

/**
 * A STORE-only ZIP archive.
 * @param {Array<{name: string, data: Uint8Array | Blob, lastModified?: number}>} entries
 *   name: path inside the archive with '/' separators (UTF-8; folders are implied)
 * @returns {Promise<Blob>} application/zip
 */
export async function makeZip(entries) {
  if (entries.length > 0xffff) throw new Error(`ZIP: ${entries.length} files; this writer has no ZIP64, so at most 65535`);
  const enc = new TextEncoder();
  /** @type {BlobPart[]} */
  const parts = [];
  /** @type {Uint8Array[]} */
  const central = [];
  let offset = 0;
  for (const e of entries) {
    const name = enc.encode(e.name);
    const data = e.data instanceof Uint8Array ? e.data : new Uint8Array(await e.data.arrayBuffer());
    const crc = crc32(data);
    const { time, date } = dosDateTime(e.lastModified ?? Date.now());
    const flags = 0x0800; // bit 11: names are UTF-8
    const local = new Uint8Array(30 + name.length);
    const lv = new DataView(local.buffer);
    lv.setUint32(0, 0x04034b50, true); // local file header signature
    lv.setUint16(4, 20, true); // version needed: 2.0
    lv.setUint16(6, flags, true);
    lv.setUint16(8, 0, true); // method 0: stored
    lv.setUint16(10, time, true);
    lv.setUint16(12, date, true);
    lv.setUint32(14, crc, true);
    lv.setUint32(18, data.length, true); // compressed size = size
    lv.setUint32(22, data.length, true);
    lv.setUint16(26, name.length, true);
    lv.setUint16(28, 0, true); // extra field length
    local.set(name, 30);

    const cd = new Uint8Array(46 + name.length);
    const cv = new DataView(cd.buffer);
    cv.setUint32(0, 0x02014b50, true); // central directory header signature
    cv.setUint16(4, 20, true); // version made by (2.0, MS-DOS attributes)
    cv.setUint16(6, 20, true);
    cv.setUint16(8, flags, true);
    cv.setUint16(10, 0, true);
    cv.setUint16(12, time, true);
    cv.setUint16(14, date, true);
    cv.setUint32(16, crc, true);
    cv.setUint32(20, data.length, true);
    cv.setUint32(24, data.length, true);
    cv.setUint16(28, name.length, true);
    // 30 extra length, 32 comment length, 34 disk number, 36 internal attrs, 38 external attrs: 0
    cv.setUint32(42, offset, true); // offset of the local header
    cd.set(name, 46);

    parts.push(local, data);
    central.push(cd);
    offset += local.length + data.length;
    if (offset > 0xffffffff) throw new Error('ZIP: more than 4 GiB; this writer has no ZIP64');
  }
  const cdSize = central.reduce((s, c) => s + c.length, 0);
  if (offset + cdSize > 0xffffffff) throw new Error('ZIP: more than 4 GiB; this writer has no ZIP64');
  const end = new Uint8Array(22);
  const ev = new DataView(end.buffer);
  ev.setUint32(0, 0x06054b50, true); // end of central directory signature
  ev.setUint16(8, entries.length, true); // entries on this disk
  ev.setUint16(10, entries.length, true); // entries in all
  ev.setUint32(12, cdSize, true);
  ev.setUint32(16, offset, true); // where the central directory starts
  return new Blob([...parts, ...central, end], { type: 'application/zip' });
}

/** A name usable as a file or folder name on every common system. @param {string} s */
export function safeName(s) {
  const t = String(s).replace(/[\\/:*?"<>|\u0000-\u001f]+/g, '_').replace(/^[.\s]+|[.\s]+$/g, '').slice(0, 80);
  return t || '_';
}

/**
 * Archive entries: one folder per cluster ("01 beach/IMG_1.jpg"), duplicate names numbered.
 * @param {Array<{id: number, name: string, members: number[]}>} clusters
 * @param {File[]} files
 */
export function zipLayout(clusters, files) {
  /** @type {Array<{name: string, data: Blob, lastModified?: number}>} */
  const out = [];
  const width = String(clusters.length).length;
  clusters.forEach((c, i) => {
    const folder = `${String(i + 1).padStart(Math.max(2, width), '0')} ${safeName(c.name)}`;
    const used = new Set();
    for (const idx of c.members) {
      const f = files[idx];
      let base = safeName(f.name);
      if (used.has(base.toLowerCase())) {
        const dot = base.lastIndexOf('.');
        const stem = dot > 0 ? base.slice(0, dot) : base;
        const ext = dot > 0 ? base.slice(dot) : '';
        let n = 2;
        while (used.has(`${stem} (${n})${ext}`.toLowerCase())) n++;
        base = `${stem} (${n})${ext}`;
      }
      used.add(base.toLowerCase());
      out.push({ name: `${folder}/${base}`, data: f, lastModified: f.lastModified });
    }
  });
  return out;
}

// ---------------------------------------------------------------------------------------------
// JSON and CSV

/** The file's path as the user gave it (folder picks keep their relative path). @param {File} f */
export function filePath(f) {
  return /** @type {any} */ (f).webkitRelativePath || f.name;
}

/**
 * The export object: every file with its cluster, and every cluster with its members.
 * @param {{clusters: Array<{id: number, name: string, runnersUp: Array<{noun: string, share: number}>, members: number[], autoName?: string}>, errors: Array<{file: string, index: number, message: string}>, backend?: string, k?: number, model?: string}} state
 * @param {File[]} files
 */
export function exportObject(state, files) {
  /** @type {Map<number, any>} */
  const byFile = new Map();
  for (const c of state.clusters) for (const i of c.members) byFile.set(i, c);
  return {
    format: 'vlcluster-demo-export-1',
    created: new Date().toISOString(),
    model: state.model ?? null,
    backend: state.backend ?? null,
    k: state.clusters.length,
    clusters: state.clusters.map((c) => ({
      id: c.id,
      name: c.name,
      autoName: c.autoName ?? c.name,
      runnersUp: c.runnersUp,
      size: c.members.length,
      files: c.members.map((i) => filePath(files[i])),
    })),
    files: files.map((f, i) => {
      const c = byFile.get(i);
      return { file: filePath(f), index: i, clusterId: c ? c.id : null, clusterName: c ? c.name : null };
    }),
    errors: state.errors,
  };
}

/** One CSV field (RFC 4180 quoting). @param {unknown} v */
function csvField(v) {
  const s = v == null ? '' : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * CSV "file,cluster_id,cluster_name", one row per clustered file (files that could not be read
 * are in the JSON export's errors, not here).
 * @param {Array<{id: number, name: string, members: number[]}>} clusters
 * @param {File[]} files
 */
export function toCSV(clusters, files) {
  const rows = [['file', 'cluster_id', 'cluster_name']];
  /** @type {Array<[number, any]>} */
  const pairs = [];
  for (const c of clusters) for (const i of c.members) pairs.push([i, c]);
  pairs.sort((a, b) => a[0] - b[0]);
  for (const [i, c] of pairs) rows.push([filePath(files[i]), c.id, c.name]);
  return rows.map((r) => r.map(csvField).join(',')).join('\r\n') + '\r\n';
}

// ---------------------------------------------------------------------------------------------
// 2-D map fallback: PCA of the image embeddings

/**
 * The first two principal components of the rows of a row-major m×d matrix (centred), by power
 * iteration with deflation on the d×d covariance; deterministic (fixed start vectors).
 * @param {Float32Array} x
 * @param {number} m
 * @param {number} d
 * @returns {Float64Array} m×2, row-major
 */
export function pca2d(x, m, d) {
  const mean = new Float64Array(d);
  for (let i = 0; i < m; i++) for (let c = 0; c < d; c++) mean[c] += x[i * d + c] / m;
  const cov = new Float64Array(d * d);
  const row = new Float64Array(d);
  for (let i = 0; i < m; i++) {
    for (let c = 0; c < d; c++) row[c] = x[i * d + c] - mean[c];
    for (let a = 0; a < d; a++) {
      const ra = row[a];
      if (ra === 0) continue;
      for (let b = a; b < d; b++) cov[a * d + b] += ra * row[b];
    }
  }
  for (let a = 0; a < d; a++) for (let b = 0; b < a; b++) cov[a * d + b] = cov[b * d + a];
  /** @type {Float64Array[]} */
  const vecs = [];
  for (let comp = 0; comp < 2; comp++) {
    let v = new Float64Array(d);
    for (let c = 0; c < d; c++) v[c] = 1 + ((c * 7919 + comp * 104729) % 97) / 97; // fixed, not special
    for (let it = 0; it < 300; it++) {
      const w = new Float64Array(d);
      for (let a = 0; a < d; a++) {
        let s = 0;
        for (let b = 0; b < d; b++) s += cov[a * d + b] * v[b];
        w[a] = s;
      }
      for (const u of vecs) { // deflate: stay orthogonal to the components found
        let p = 0;
        for (let c = 0; c < d; c++) p += w[c] * u[c];
        for (let c = 0; c < d; c++) w[c] -= p * u[c];
      }
      let n = 0;
      for (let c = 0; c < d; c++) n += w[c] * w[c];
      n = Math.sqrt(n);
      if (n < 1e-12) break;
      let diff = 0;
      for (let c = 0; c < d; c++) { w[c] /= n; diff += Math.abs(w[c] - v[c]); }
      v = w;
      if (diff < 1e-10) break;
    }
    // Sign convention: the largest |coordinate| is positive (stable pictures).
    let big = 0;
    for (let c = 0; c < d; c++) if (Math.abs(v[c]) > Math.abs(v[big])) big = c;
    if (v[big] < 0) for (let c = 0; c < d; c++) v[c] = -v[c];
    vecs.push(v);
  }
  const out = new Float64Array(m * 2);
  for (let i = 0; i < m; i++) {
    for (let k = 0; k < 2; k++) {
      let s = 0;
      for (let c = 0; c < d; c++) s += (x[i * d + c] - mean[c]) * vecs[k][c];
      out[i * 2 + k] = s;
    }
  }
  return out;
}

/**
 * Spreads points that fall on one spot (closer than 1 px) on a small sunflower around it, the
 * first one staying in the middle, so that every photo on the map is visible and clickable. The
 * spectral map puts each part of a graph with no edges between parts on one spot.
 * @param {Array<[number, number]>} points pixel positions
 * @param {number} spacing distance between neighbours on the sunflower, in px
 * @param {number} [cell] points closer than this (px) to a spot count as on it: with a point's
 *   diameter, near neighbours are fanned out too, not only exact duplicates (1: those only)
 * @returns {Array<[number, number]>}
 */
export function fanOut(points, spacing, cell = 1) {
  /** @type {Map<string, Array<{x: number, y: number, n: number}>>} grid cell -> spots in it */
  const grid = new Map();
  const golden = Math.PI * (3 - Math.sqrt(5));
  const size = Math.max(cell, 1);
  /** the spot within `cell` of (x, y), looked up in the 3×3 grid cells around it */
  const near = (/** @type {number} */ x, /** @type {number} */ y) => {
    const gx = Math.floor(x / size);
    const gy = Math.floor(y / size);
    for (let dx = -1; dx <= 1; dx++) {
      for (let dy = -1; dy <= 1; dy++) {
        const spot = grid.get(`${gx + dx},${gy + dy}`)?.find((s) => Math.hypot(s.x - x, s.y - y) < cell);
        if (spot) return spot;
      }
    }
    return null;
  };
  return points.map(([x, y]) => {
    const spot = near(x, y);
    if (!spot) {
      const key = `${Math.floor(x / size)},${Math.floor(y / size)}`;
      grid.set(key, [...(grid.get(key) ?? []), { x, y, n: 1 }]);
      return [x, y];
    }
    const n = spot.n++;
    const r = spacing * Math.sqrt(n);
    return [spot.x + r * Math.cos(n * golden), spot.y + r * Math.sin(n * golden)];
  });
}

// ---------------------------------------------------------------------------------------------
// Progress text

/** "12 s", "3 min 05 s", "1 h 02 min". @param {number} seconds */
export function formatDuration(seconds) {
  if (!Number.isFinite(seconds) || seconds < 0) return '–';
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
}

/**
 * Remaining time from the rate so far (null until there is a rate).
 * @param {number} done @param {number} total @param {number} elapsedSeconds
 */
export function eta(done, total, elapsedSeconds) {
  if (!(done > 0) || !(total > done) || !(elapsedSeconds > 0)) return null;
  return (elapsedSeconds / done) * (total - done);
}

/**
 * Remaining seconds from the recent rate: the items done in the last `window` seconds (at least
 * the last two samples), so that a slow start (model warm-up, the first batch of the encoder)
 * does not inflate the estimate the way the average since the start does (`eta`). Null until
 * three items and a second have passed: an estimate from less is a guess.
 * @param {Array<{t: number, done: number}>} samples progress samples, oldest first (t in seconds)
 * @param {number} total
 */
export function etaRecent(samples, total, window = 5) {
  const last = samples[samples.length - 1];
  if (!last || last.done < 3 || !(total > last.done) || last.t - samples[0].t < 1) return null;
  let j = samples.length - 2;
  while (j > 0 && last.t - samples[j - 1].t <= window) j--;
  const from = samples[Math.max(0, j)];
  const rate = (last.done - from.done) / (last.t - from.t);
  return rate > 0 ? (total - last.done) / rate : null;
}

/**
 * The line above the cards: "3 clusters · 40 photos · 12 near-duplicates". Near-duplicates are
 * the photos the core clustered as copies of another (each group counts all but one), so the
 * user knows why burst shots always land together.
 * @param {Array<{members: number[]}>} clusters
 * @param {number[][]} [duplicateGroups] file indices of each near-duplicate group
 * @returns {string}
 */
export function summaryLine(clusters, duplicateGroups = []) {
  const photos = clusters.reduce((s, c) => s + c.members.length, 0);
  const copies = duplicateGroups.reduce((s, g) => s + Math.max(0, g.length - 1), 0);
  const plural = (/** @type {number} */ n, /** @type {string} */ word) => `${n} ${word}${n === 1 ? '' : 's'}`;
  return [plural(clusters.length, 'cluster'), plural(photos, 'photo'), ...(copies ? [plural(copies, 'near-duplicate')] : [])].join(' · ');
}

/**
 * Names to show: the clusters' own names, made unique where two share one (after a rename, or
 * when the core's names were not unique): the later ones get their first runner-up noun not yet
 * taken, "tumbler (glass)", else a number, "tumbler 2". The core's names, when already unique,
 * are kept as they are.
 * @param {Array<{name: string, runnersUp?: Array<{noun: string}>}>} clusters in display order
 * @returns {string[]}
 */
export function uniqueNames(clusters) {
  const count = new Map();
  for (const c of clusters) count.set(c.name, (count.get(c.name) ?? 0) + 1);
  const taken = new Set(clusters.map((c) => c.name));
  const seen = new Set();
  return clusters.map((c) => {
    if (count.get(c.name) === 1 || !seen.has(c.name)) { seen.add(c.name); return c.name; }
    const noun = (c.runnersUp ?? []).map((r) => r.noun).find((n) => n !== c.name && !taken.has(`${c.name} (${n})`));
    let shown = noun ? `${c.name} (${noun})` : '';
    for (let i = 2; !shown || taken.has(shown); i++) shown = `${c.name} ${i}`;
    taken.add(shown);
    return shown;
  });
}

/**
 * The point nearest to `from` in the direction of an arrow key (within 45° of it), for moving
 * between the map's points with the keyboard; `from` itself when there is none that way.
 * @param {Array<{x: number, y: number}>} points
 * @param {number} from index into points
 * @param {'ArrowLeft'|'ArrowRight'|'ArrowUp'|'ArrowDown'} key
 */
export function nextPointTowards(points, from, key) {
  const [dx, dy] = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] }[key];
  const p = points[from];
  let best = from;
  let bestD = Infinity;
  points.forEach((q, i) => {
    const along = (q.x - p.x) * dx + (q.y - p.y) * dy;
    const across = Math.abs((q.x - p.x) * dy - (q.y - p.y) * dx);
    if (i === from || along <= 0 || across > along) return;
    const d = along + 2 * across; // straight ahead beats diagonal
    if (d < bestD) { bestD = d; best = i; }
  });
  return best;
}

/** Colour of cluster number i (of n), well apart on the hue circle. */
export function clusterColour(/** @type {number} */ i) {
  const hue = (i * 137.508) % 360; // golden angle
  return `hsl(${hue.toFixed(1)} 70% 45%)`;
}
