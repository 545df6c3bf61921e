// Helpers shared by the IndexedDB-based engines.
import type { IDBPDatabase } from 'idb'

/**
 * Origin-wide bytes in use as the browser estimates them: approximate, and it lags behind
 * writes and deletions, so this polls until two readings 300 ms apart agree (at most ~5 s).
 */
export async function storageUsed(): Promise<number> {
  let last = -1
  for (let i = 0; i < 16; i++) {
    const now = (await navigator.storage.estimate()).usage ?? 0
    if (now === last) return now
    last = now
    await new Promise((r) => setTimeout(r, 300))
  }
  return last
}

/** IndexedDB has no snapshot: a point-in-time copy reads every entry and writes it to store `copy`. */
export async function copyStore(db: IDBPDatabase, probe: string): Promise<void> {
  const read = db.transaction('kv')
  const [keys, values] = await Promise.all([read.store.getAllKeys(), read.store.getAll()])
  const write = db.transaction('copy', 'readwrite', { durability: 'strict' })
  keys.forEach((k, i) => void write.store.put(values[i], k))
  await write.done
  if ((await db.get('copy', probe)) === undefined) throw new Error('copy unreadable')
}
