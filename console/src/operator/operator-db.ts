import { openKeyDb } from '../phone/phone-db.js';

/*
 * The console's operator IndexedDB: the operator's key pair and pass, with the same stores as the
 * phone page's (so key-store.ts and pass-store.ts work on it unchanged) but a database of its own:
 * the console and the phone page share an origin, and a worker's pass on this browser is not an
 * operator's, nor its key the operator's key.
 */

export const OPERATOR_DB_NAME = 'station-console-operator';

export function openOperatorDb(name = OPERATOR_DB_NAME): Promise<IDBDatabase> {
  return openKeyDb(name);
}
