/*
 * The phone page's IndexedDB: its key pair and its pass, kept by the browser for this origin.
 * IndexedDB, not localStorage, because a CryptoKey is stored there as itself (structured clone),
 * non-extractable as it was made, and the page never sees the private key's bytes.
 */

const DB_NAME = 'station-phone';
const VERSION = 1;
export type StoreName = 'keys' | 'passes';

export function openPhoneDb(): Promise<IDBDatabase> {
  return openKeyDb(DB_NAME);
}

/** A database with the key and pass stores (the phone page's, or another page's of its own). */
export function openKeyDb(name: string): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(name, VERSION);
    req.onupgradeneeded = () => {
      for (const store of ['keys', 'passes'] satisfies StoreName[]) if (!req.result.objectStoreNames.contains(store)) req.result.createObjectStore(store);
    };
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error('IndexedDB would not open'));
    req.onblocked = () => reject(new Error('IndexedDB is blocked by another tab of this page'));
  });
}

function run<T>(db: IDBDatabase, store: StoreName, mode: IDBTransactionMode, op: (s: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    const tx = db.transaction(store, mode);
    const req = op(tx.objectStore(store));
    // Resolve once the transaction is durable, not when the request is: a reload right after must find it.
    let result: T;
    req.onsuccess = () => (result = req.result);
    tx.oncomplete = () => resolve(result);
    tx.onerror = () => reject(tx.error ?? req.error ?? new Error('IndexedDB failed'));
    tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
  });
}

export const dbGet = <T>(db: IDBDatabase, store: StoreName, key: string): Promise<T | undefined> => run(db, store, 'readonly', (s) => s.get(key) as IDBRequest<T | undefined>);

/** Adds only where nothing is: fails with a ConstraintError if the key exists. */
export const dbAdd = (db: IDBDatabase, store: StoreName, key: string, value: unknown): Promise<IDBValidKey> => run(db, store, 'readwrite', (s) => s.add(value, key));

export const dbPut = (db: IDBDatabase, store: StoreName, key: string, value: unknown): Promise<IDBValidKey> => run(db, store, 'readwrite', (s) => s.put(value, key));
