// Byte stores that outlive a page or a process: downloaded model files and vocabularies built on
// the device are kept so that the next run starts at once. One interface,
//   get(key) -> Promise<Uint8Array | null>,  put(key, bytes) -> Promise<void>,
// three places: Cache Storage (browser, model files: what the platform keeps for HTTP bodies),
// IndexedDB (browser, built vocabularies) and a folder on disk (node, both). Every store fails
// soft: a store that cannot be opened (private mode, read-only disk) behaves as an empty one.

import { runtimeImport } from './encoder.js';

export const isNode = typeof process !== 'undefined' && !!(process.versions && process.versions.node) &&
  typeof window === 'undefined';

/** @typedef {{get(key: string): Promise<Uint8Array | null>, put(key: string, bytes: Uint8Array): Promise<void>, where: string}} ByteStore */

/** A store that keeps nothing (cache: false, or nowhere to keep things). @returns {ByteStore} */
export function noStore() {
  return { get: async () => null, put: async () => {}, where: 'nowhere' };
}

/**
 * 64-bit FNV-1a of a string, as 16 hex digits: a file-system-safe name for a key (URLs, model
 * identities). Not cryptographic: keys come from the user's own options.
 * @param {string} text
 */
export function hashKey(text) {
  let h = 0xcbf29ce484222325n;
  for (const byte of new TextEncoder().encode(text)) {
    h ^= BigInt(byte);
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return h.toString(16).padStart(16, '0');
}

/**
 * The node cache folder: options.cacheDir, else $VLC_CACHE_DIR, else $XDG_CACHE_HOME/vlcluster,
 * else ~/.cache/vlcluster.
 * @param {string} [cacheDir]
 */
export async function defaultCacheDir(cacheDir) {
  if (cacheDir) return cacheDir;
  const env = process.env;
  if (env.VLC_CACHE_DIR) return env.VLC_CACHE_DIR;
  const { join } = await runtimeImport('node:path');
  const { homedir } = await runtimeImport('node:os');
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'vlcluster');
}

/**
 * A folder of files named by the key's hash; each entry's size is kept beside it, so that a file
 * cut short (a full disk, a killed process between write and rename cannot: the write goes to a
 * temporary name first) is never taken for a hit.
 * @param {string} dir
 * @returns {Promise<ByteStore>}
 */
export async function diskStore(dir) {
  const fs = await runtimeImport('node:fs/promises');
  const { join } = await runtimeImport('node:path');
  const file = (/** @type {string} */ key) => join(dir, hashKey(key));
  return {
    where: dir,
    async get(key) {
      try {
        const meta = JSON.parse(await fs.readFile(`${file(key)}.json`, 'utf8'));
        if (meta.key !== key) return null;
        const bytes = new Uint8Array(await fs.readFile(file(key)));
        return bytes.byteLength === meta.size ? bytes : null;
      } catch {
        return null;
      }
    },
    async put(key, bytes) {
      try {
        await fs.mkdir(dir, { recursive: true });
        const tmp = `${file(key)}.${process.pid}.tmp`;
        await fs.writeFile(tmp, bytes);
        await fs.rename(tmp, file(key));
        await fs.writeFile(`${file(key)}.json`, JSON.stringify({ key, size: bytes.byteLength }));
      } catch {
        // a cache that cannot be written is only slower
      }
    },
  };
}

/**
 * Cache Storage (browser): entries are Responses under the key as URL, with their size in a
 * header checked on every hit.
 * @param {string} name
 * @returns {ByteStore}
 */
export function cacheStorageStore(name) {
  if (typeof caches === 'undefined') return noStore();
  const open = () => caches.open(name).catch(() => null);
  return {
    where: `Cache Storage "${name}"`,
    async get(key) {
      const cache = await open();
      const res = cache && (await cache.match(key).catch(() => undefined));
      if (!res) return null;
      const bytes = new Uint8Array(await res.arrayBuffer());
      return String(bytes.byteLength) === res.headers.get('x-vlc-size') ? bytes : null;
    },
    async put(key, bytes) {
      const cache = await open();
      if (!cache) return;
      const headers = { 'content-type': 'application/octet-stream', 'x-vlc-size': String(bytes.byteLength) };
      await cache.put(key, new Response(bytes, { headers })).catch(() => {});
    },
  };
}

/**
 * Opens (creating on first use) an IndexedDB database with one object store; null where there is
 * no IndexedDB or it cannot be opened (private mode, blocked by another tab's old version).
 * @param {string} dbName @param {string} storeName
 * @returns {Promise<IDBDatabase | null>}
 */
export function openIndexedDb(dbName, storeName) {
  if (typeof indexedDB === 'undefined' || indexedDB === null) return Promise.resolve(null);
  return new Promise((resolve) => {
    try {
      const req = indexedDB.open(dbName, 1);
      req.onupgradeneeded = () => req.result.createObjectStore(storeName);
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => resolve(null);
      req.onblocked = () => resolve(null);
    } catch {
      resolve(null);
    }
  });
}

/**
 * IndexedDB (browser): one object store of byte arrays.
 * @param {string} dbName
 * @returns {ByteStore}
 */
export function indexedDbStore(dbName) {
  if (typeof indexedDB === 'undefined' || indexedDB === null) return noStore();
  const STORE = 'bytes';
  /** @type {Promise<IDBDatabase | null> | null} */
  let db = null;
  const open = () => (db ??= openIndexedDb(dbName, STORE));
  /** @param {'readonly' | 'readwrite'} mode @param {(s: IDBObjectStore) => IDBRequest} op */
  const request = async (mode, op) => {
    const d = await open();
    if (!d) return undefined;
    return new Promise((resolve) => {
      try {
        const req = op(d.transaction(STORE, mode).objectStore(STORE));
        req.onsuccess = () => resolve(req.result);
        req.onerror = () => resolve(undefined);
      } catch {
        resolve(undefined);
      }
    });
  };
  return {
    where: `IndexedDB "${dbName}"`,
    async get(key) {
      const v = await request('readonly', (s) => s.get(key));
      return v instanceof Uint8Array ? v : null;
    },
    async put(key, bytes) {
      await request('readwrite', (s) => s.put(bytes, key));
    },
  };
}

/**
 * The store for one kind of thing where this code runs: under node a subfolder of the cache
 * folder, in a browser `browser()`'s. `cache: false` keeps nothing.
 * @param {{cache?: boolean, cacheDir?: string}} options
 * @param {string} subfolder
 * @param {() => ByteStore} browser
 * @returns {Promise<ByteStore>}
 */
export async function openStore(options, subfolder, browser) {
  if (options.cache === false) return noStore();
  if (isNode) {
    const { join } = await runtimeImport('node:path');
    return diskStore(join(await defaultCacheDir(options.cacheDir), subfolder));
  }
  return browser();
}
