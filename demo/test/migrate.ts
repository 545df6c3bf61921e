// A format-1 store opened by the browser (e2e/migrate.spec.ts drives it): the fixture's pages and
// WAL go into OPFS (cowdb/<name>/pages, wal) and its Meta into the IndexedDB snapshot table
// (cowdb:<name>: the Meta minus its snapshots under 'head' in store 'head', a row per snapshot in
// store 'snapshots'), where @cowdb/browser keeps them; then openDB() migrates it, in the worker.
// Written here from those names, not with the browser package's own code: this is what a store
// written by an earlier cowdb looks like on a user's disk.
import * as cowdb from '@cowdb/browser'
import { taggedJson } from '../../packages/node/test/fixtures/tagged.ts'

type Meta = { version: number; snapshots: { id: string }[] } & Record<string, unknown>

const fromBase64 = (s: string) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0))

function request<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result)
    r.onerror = () => reject(r.error)
  })
}

/** Opens the snapshot table as the browser package lays it out (version 1 of the IndexedDB database). */
function openTable(name: string): Promise<IDBDatabase> {
  const r = indexedDB.open(`cowdb:${name}`, 1)
  r.onupgradeneeded = () => {
    r.result.createObjectStore('head')
    r.result.createObjectStore('snapshots', { keyPath: 'id' })
  }
  return request(r)
}

/** Writes a store found on disk: pages and WAL into OPFS, the Meta into IndexedDB. */
async function load(name: string, files: { pages: string; wal: string }, meta: Meta): Promise<void> {
  const root = await navigator.storage.getDirectory()
  const dir = await (await root.getDirectoryHandle('cowdb', { create: true })).getDirectoryHandle(name, { create: true })
  for (const [file, b64] of Object.entries(files)) {
    const w = await (await dir.getFileHandle(file, { create: true })).createWritable()
    await w.write(fromBase64(b64))
    await w.close()
  }
  const db = await openTable(name)
  const tx = db.transaction(['head', 'snapshots'], 'readwrite')
  const { snapshots, ...head } = meta
  tx.objectStore('head').put(head, 'head')
  for (const s of snapshots) tx.objectStore('snapshots').put(s)
  await new Promise<void>((resolve, reject) => {
    tx.oncomplete = () => resolve()
    tx.onerror = () => reject(tx.error)
  })
  db.close()
}

/** The Meta's format version in the snapshot table now. */
async function version(name: string): Promise<number> {
  const db = await openTable(name)
  const head = (await request(db.transaction('head').objectStore('head').get('head'))) as { version: number }
  db.close()
  return head.version
}

/** Opens the store with openDB and reads everything, as [tagged key, tagged value] rows. */
async function read(name: string) {
  const db = await cowdb.openDB(name)
  try {
    const rows = async (at: { branch?: string; snapshot?: string }) => (await db.scan({ ...at, limit: 1e6 })).map(([k, v]) => [taggedJson(k), taggedJson(v)])
    const branches = (await db.branches()).map(({ name, history, undoable, redoable }) => ({ name, history, undoable, redoable }))
    const snapshots = (await db.snapshots()).map(({ id, createdAt, label, kind, branch }) => JSON.parse(JSON.stringify({ id, createdAt, label, kind, branch })))
    const heads: Record<string, string[][]> = {}
    for (const b of branches) heads[b.name] = await rows({ branch: b.name })
    const snaps: Record<string, string[][]> = {}
    for (const s of snapshots) snaps[s.id] = await rows({ snapshot: s.id })
    const verify = await db.verify()
    return { version: await version(name), retention: await db.getRetention(), branches, snapshots, heads, snaps, verify: verify.errors }
  } finally {
    await db.close()
  }
}

;(window as unknown as { migrateTests: unknown }).migrateTests = { load, read, version }
document.body.textContent = 'ready'
