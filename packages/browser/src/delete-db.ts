// Starting over: deletes every part of a database (OPFS directory, IndexedDB database), the
// documented way out of a StorageLostError when nothing can be recovered.

import { LockedError } from '@cowdb/core'

/**
 * Deletes database `name` (its OPFS files and its IndexedDB database). Fails with LockedError
 * while any tab or worker has it open. Runs on the main thread or in a worker.
 * Cost: a lock request, one directory removal, one IndexedDB deletion.
 */
export async function deleteDB(name: string): Promise<void> {
  if (typeof name !== 'string' || !name || /[/\\]/.test(name)) throw new TypeError(`cowdb: a database name is a non-empty string without slashes, got ${JSON.stringify(name)}`)
  await navigator.locks.request(`cowdb:${name}`, { mode: 'exclusive', ifAvailable: true }, async (lock) => {
    if (!lock) throw new LockedError(`cowdb: '${name}' is open in a tab or worker; close it before deleteDB()`)
    try {
      const cowdb = await (await navigator.storage.getDirectory()).getDirectoryHandle('cowdb')
      await cowdb.removeEntry(name, { recursive: true })
    } catch (e) {
      // no OPFS here, or nothing of this database in it
      if (!(e instanceof DOMException)) throw e
    }
    await new Promise<void>((resolve, reject) => {
      const req = indexedDB.deleteDatabase(`cowdb:${name}`)
      req.onsuccess = () => resolve()
      req.onerror = () => reject(req.error)
    })
  })
}
