// The demo's session in IndexedDB (issue 16 item 5): the result of the last run (embeddings,
// clusters, the user's edits, the unreadable files) so that a reload restores it. The photos
// themselves are kept only when the user ticks "Keep the photos in this browser" (File objects
// are structured-cloneable); otherwise a restored session knows their names and sizes only, and
// adding the same files again brings their thumbnails back (sameFile).

const DB = 'vlcluster-demo';
const STORE = 'session';
const KEY = 'current';
export const SESSION_VERSION = 1;

/** @returns {Promise<IDBDatabase>} */
function open() {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

/**
 * One request in a transaction of its own; resolves when the transaction is committed (so that
 * "saved" means on disk as far as the page can tell).
 * @param {IDBTransactionMode} mode @param {(s: IDBObjectStore) => IDBRequest} op
 */
async function run(mode, op) {
  const db = await open();
  try {
    return await new Promise((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const req = op(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(req.result);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
  } finally {
    db.close();
  }
}

/** @param {object} session */
export const saveSession = (session) => run('readwrite', (s) => s.put({ ...session, version: SESSION_VERSION, savedAt: Date.now() }, KEY));
/** @returns {Promise<any>} the saved session, or null (none, or of another version) */
export const loadSession = async () => {
  const v = await run('readonly', (s) => s.get(KEY));
  return v && v.version === SESSION_VERSION ? v : null;
};
export const clearSession = () => run('readwrite', (s) => s.delete(KEY));

/**
 * What is kept of a file when the photo itself is not: enough to show its name and to recognise
 * it when it is added again.
 * @param {File} f
 */
export function fileRecord(f) {
  return { name: f.name, path: /** @type {any} */ (f).webkitRelativePath || '', size: f.size, type: f.type, lastModified: f.lastModified };
}

/** Whether a file is the one a record describes (name, size and modification time). @param {File} f @param {any} r */
export function sameFile(f, r) {
  return f.name === r.name && f.size === r.size && f.lastModified === r.lastModified;
}
