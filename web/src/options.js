// Checks of what callers pass to clusterEmbeddings / clusterImages / filterNouns before anything
// reaches the WebAssembly core: unknown option keys (a typo such as `tua` would otherwise be
// ignored and the default used), option types, and typed arrays whose buffer was transferred away.

/**
 * The keys of the options table of the core (core/include/vlc/option_table.hpp, every row but the
 * native-only ones, in camelCase), which the WASM module lists as optionNames(). Written out here
 * because the keys are checked before the module is loaded (clusterImages checks synchronously);
 * written by scripts/gen-options.mjs from the table; web/test/cluster.test.mjs checks that this
 * list is optionNames().
 */
export const TABLE_OPTION_KEYS = Object.freeze([
  'k', 'kmin', 'kmax', 'kRule', 'kMinClusterFraction', 'kGapFloor', 'kBothCurves',
  'duplicateCosine', 'method', 'templateIndex', 'q', 'tau', 'tauRbf', 'mu', 'lambda', 'maxOuter',
  'theta', 'gamma', 'perCentre', 'filterRestarts', 'nInit', 'namingTop', 'runnersUp',
  'ntkCandidates', 'seed']);

// Names people reach for from other libraries, mapped to ours: edit distance alone would suggest
// `nameClusters` for `numClusters`.
const SYNONYMS = Object.freeze({
  numClusters: 'k', nClusters: 'k', n_clusters: 'k', clusters: 'k', numberOfClusters: 'k',
  dimension: 'dim', d: 'dim', m: 'numImages', n: 'numImages', b: 'numTemplates', l: 'numNouns',
});

/** Levenshtein distance, case-insensitive (so `K` is one step from nothing but `k`). */
function editDistance(/** @type {string} */ a, /** @type {string} */ b) {
  a = a.toLowerCase();
  b = b.toLowerCase();
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length];
}

/**
 * The valid key `key` most likely meant, or null when none is close.
 * @param {string} key @param {readonly string[]} valid
 */
export function closestKey(key, valid) {
  const synonym = /** @type {Record<string, string>} */ (SYNONYMS)[key];
  if (synonym && valid.includes(synonym)) return synonym;
  let best = null;
  let bestDistance = Infinity;
  for (const v of valid) {
    const dist = editDistance(key, v);
    if (dist < bestDistance) { best = v; bestDistance = dist; }
  }
  // A third of the key's length (at least 2) can be typos; more is another word.
  return bestDistance <= Math.max(2, Math.floor(key.length / 3)) ? best : null;
}

/** A short description of a value for error messages: its type, and the value when short. */
export function describe(/** @type {unknown} */ x) {
  if (x === null) return 'null';
  if (Array.isArray(x)) return `an array of ${x.length}`;
  if (ArrayBuffer.isView(x)) return x.constructor.name;
  if (typeof x === 'object') return x.constructor?.name ?? 'an object';
  if (typeof x === 'function') return 'a function';
  return `${typeof x} ${String(x)}`;
}

/**
 * Throws a TypeError for the first key of `options` that is not in `valid`, naming the closest
 * valid key and listing them all.
 * @param {unknown} options @param {readonly string[]} valid @param {string} what the function's name
 */
export function checkOptionKeys(options, valid, what) {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError(`${what}: options must be an object, got ${describe(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (valid.includes(key)) continue;
    const hint = closestKey(key, valid);
    throw new TypeError(`${what}: unknown option "${key}"${hint ? ` (did you mean "${hint}"?)` : ''}; valid options: ${[...valid].sort().join(', ')}`);
  }
}

/**
 * True when the buffer under a typed array was detached (transferred by postMessage or
 * structuredClone): the array then reads as length 0, which must not pass for "no rows".
 * @param {ArrayBufferView} view
 */
export function isDetached(view) {
  const buffer = /** @type {any} */ (view.buffer);
  if (typeof buffer?.detached === 'boolean') return buffer.detached;
  if (view.byteLength !== 0 || !(buffer instanceof ArrayBuffer)) return false;
  try {
    new Uint8Array(buffer);  // throws on a detached buffer in engines without `.detached`
    return false;
  } catch {
    return true;
  }
}

/** Throws when a typed array's buffer is detached. @param {unknown} x @param {string} what */
export function checkAttached(x, what) {
  if (ArrayBuffer.isView(x) && isDetached(x)) {
    throw new TypeError(`${what} is a ${x.constructor.name} over a detached ArrayBuffer (it was transferred, e.g. by postMessage); pass the data before transferring it, or a copy`);
  }
}

/**
 * onProgress must be a function when given (a number there would otherwise be called and throw
 * inside the core's run). @param {unknown} fn @param {string} what
 */
export function checkFunction(fn, what) {
  if (fn !== undefined && typeof fn !== 'function') throw new TypeError(`${what} must be a function, got ${describe(fn)}`);
}

/** @param {unknown} signal @param {string} what */
export function checkSignal(signal, what) {
  const s = /** @type {any} */ (signal);
  if (signal !== undefined && !(s && typeof s.aborted === 'boolean' && typeof s.addEventListener === 'function')) {
    throw new TypeError(`${what} must be an AbortSignal (new AbortController().signal), got ${describe(signal)}`);
  }
}

/**
 * A positive integer option, when given. @param {unknown} x @param {string} what
 * @returns {number | undefined}
 */
export function positiveInteger(x, what) {
  if (x === undefined) return undefined;
  if (!Number.isInteger(x) || /** @type {number} */ (x) <= 0) throw new TypeError(`${what} must be a positive integer, got ${describe(x)}`);
  return /** @type {number} */ (x);
}
