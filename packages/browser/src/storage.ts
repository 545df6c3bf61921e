// Storage for one database in the browser, worker only. Two page stores:
// - 'opfs': OPFS files `cowdb/<name>/pages` and `wal` on sync access handles, the snapshot
//   table in IndexedDB `cowdb:<name>`, and a copy of the Meta in `cowdb/<name>/meta`;
// - 'indexeddb': pages and WAL in chunks inside that same IndexedDB database (idb-file.ts), for
//   contexts without sync access handles (WebKit under automation, private windows).
// The head record says which one a database uses. The two halves of an OPFS database belong
// together: if one is gone (a browser cleared one kind of site data), opening fails with
// StorageLostError naming what was lost, never with an empty database.

import { StorageLostError, UnsupportedError, type Storage } from '@cowdb/core'
import type { IDBPDatabase } from 'idb'
import { IdbBlockFile } from './idb-file.js'
import { IdbMetaStore, connectIdb, loadFile, peekHead, writeBatch, type StoreKind } from './idb-meta.js'
import { OpfsBlockFile, mapQuota } from './opfs-file.js'
import { decodeMirror, encodeMirror } from './opfs-mirror.js'
import { WriteBehind, type BatchWriter } from './write-behind.js'
import { blockSyncFile, type SyncFile } from './sync-file.js'

export type StorageOptions = {
  /**
   * The page store: 'auto' (default) uses OPFS where sync access handles work and IndexedDB
   * elsewhere; an existing database keeps the one it was created with.
   */
  store?: 'auto' | StoreKind
  /**
   * After partial clearing (StorageLostError), rebuild what can be rebuilt: the snapshot table
   * from the copy kept beside the OPFS pages. Without anything to rebuild from, it fails again.
   */
  recover?: boolean
}

/** An open store: the engine's Storage, its kind, and for IndexedDB the durability barrier. */
export type OpenedStorage = {
  storage: Storage
  kind: StoreKind
  /** True when this open created the database (nothing of it was there). */
  created: boolean
  /** Why OPFS was not used, when 'auto' fell back to IndexedDB. */
  fallbackReason?: string
  /** Resolves once everything flushed so far is durable (IndexedDB store; OPFS flushes are). */
  durable?: () => Promise<void>
  /** @internal The IndexedDB store's two files for the owner's call record (call-log.ts), in its write-behind queue. */
  callFiles?: [SyncFile, SyncFile]
}

/** Test hooks for the IndexedDB store: wrap each batch write, hear of a failed one. */
export type IdbHooks = { io?: (write: () => Promise<void>) => Promise<void>; onFail?: (e: unknown) => void }

const PAGE_CHUNK = 16 * 1024
const WAL_CHUNK = 4 * 1024
const CALLS_CHUNK = 4 * 1024

/** Opens the page store and snapshot table of database `name` (see StorageOptions). Cost: a few async opens; the IndexedDB store also reads its files whole. */
export async function openStorage(name: string, opts: StorageOptions = {}, hooks: IdbHooks = {}): Promise<OpenedStorage> {
  const want = opts.store ?? 'auto'
  if (!['auto', 'opfs', 'indexeddb'].includes(want)) throw new TypeError(`cowdb: store is 'auto', 'opfs' or 'indexeddb', got ${JSON.stringify(want)}`)
  if (typeof indexedDB === 'undefined') throw new UnsupportedError('cowdb: this browser context has no IndexedDB, which every cowdb store needs')
  const idb = await connectIdb(name).catch((e: unknown) => {
    throw new UnsupportedError(`cowdb: IndexedDB cannot be opened here (${describe(e)}); private windows of some browsers refuse it`)
  })
  try {
    const head = await peekHead(idb)
    if (head && want !== 'auto' && head.store !== want) throw new TypeError(`cowdb: '${name}' keeps its pages in ${head.store}, not ${want}`)
    if (head?.store === 'indexeddb' || (!head && want === 'indexeddb')) return await openIdbStore(name, await withBlocks(name, idb), !head, hooks)
    const dir = await opfsDir(name)
    if (typeof dir === 'string') {
      if (head || want === 'opfs') throw new UnsupportedError(`cowdb: '${name}' keeps its pages in OPFS, and this browser context cannot open OPFS (${dir})`)
      return { ...(await openIdbStore(name, await withBlocks(name, idb), true, hooks)), fallbackReason: dir }
    }
    const files = await existingFiles(dir)
    if (head) {
      const missing = (['pages', 'wal'] as const).filter((f) => !files[f] || (f === 'pages' && head.meta.slotCount > 0 && files.pages!.size === 0))
      if (missing.length) throw pagesLost(name, missing, head.snapshots)
    } else if ((files.pages?.size ?? 0) > 0 || (files.wal?.size ?? 0) > 0) {
      if (!opts.recover) throw tableLost(name, files)
      await restoreTable(name, idb, files.meta)
    }
    const opened = await openOpfsFiles(name, dir)
    if (typeof opened === 'string') {
      if (head || want === 'opfs') throw new UnsupportedError(`cowdb: '${name}' keeps its pages in OPFS, and this browser context has no OPFS sync access handles (${opened})`)
      return { ...(await openIdbStore(name, await withBlocks(name, idb), true, hooks)), fallbackReason: opened }
    }
    const { pages, wal, mirror } = opened
    const meta = new IdbMetaStore(idb, 'opfs', undefined, (m) => {
      // best effort: IndexedDB is the authority, the copy only helps recover from its loss
      try {
        const bytes = encodeMirror(m)
        mirror.write(0, bytes)
        mirror.truncate(bytes.length)
        mirror.flush()
      } catch {}
    })
    const release = () => mirror.close()
    return { storage: { pages, wal, meta, release }, kind: 'opfs', created: !head && !files.meta }
  } catch (e) {
    idb.close()
    throw e
  }
}

/** The connection, with the `blocks` store the IndexedDB page store needs (see connectIdb). */
async function withBlocks(name: string, idb: IDBPDatabase): Promise<IDBPDatabase> {
  if (idb.objectStoreNames.contains('blocks')) return idb
  idb.close()
  return connectIdb(name, true)
}

async function openIdbStore(name: string, idb: IDBPDatabase, created: boolean, hooks: IdbHooks): Promise<OpenedStorage> {
  const [p, w, c0, c1] = await Promise.all([loadFile(idb, 'pages'), loadFile(idb, 'wal'), loadFile(idb, 'calls-0'), loadFile(idb, 'calls-1')])
  // a full origin surfaces as the typed QuotaExceededError (nothing acknowledged is lost: see engine.ts)
  const write: BatchWriter = (b) =>
    (hooks.io ? hooks.io(() => writeBatch(idb, b)) : writeBatch(idb, b)).catch((e: unknown) => Promise.reject(mapQuota(e, `${name} (IndexedDB page store)`)))
  const queue = new WriteBehind(write, hooks.onFail)
  const pages = new IdbBlockFile(`${name}/pages`, PAGE_CHUNK, p.chunks, p.size, (c, s) => queue.stageFile('pages', c, s))
  const wal = new IdbBlockFile(`${name}/wal`, WAL_CHUNK, w.chunks, w.size, (c, s) => queue.stageFile('wal', c, s))
  const meta = new IdbMetaStore(idb, 'indexeddb', queue)
  const calls = ([['calls-0', c0], ['calls-1', c1]] as const).map(([file, f]) => blockSyncFile(new IdbBlockFile(`${name}/${file}`, CALLS_CHUNK, f.chunks, f.size, (c, s) => queue.stageFile(file, c, s))))
  return { storage: { pages, wal, meta }, kind: 'indexeddb', created, durable: () => queue.durable(), callFiles: [calls[0]!, calls[1]!] }
}

/** The database's OPFS directory, or why OPFS cannot be used here. */
async function opfsDir(name: string): Promise<FileSystemDirectoryHandle | string> {
  try {
    if (typeof navigator.storage?.getDirectory !== 'function') return 'no navigator.storage.getDirectory'
    const root = await navigator.storage.getDirectory()
    const cowdb = await root.getDirectoryHandle('cowdb', { create: true })
    return await cowdb.getDirectoryHandle(name, { create: true })
  } catch (e) {
    return `navigator.storage.getDirectory() failed: ${describe(e)}`
  }
}

type Found = { size: number }
type Files = { pages?: Found; wal?: Found; meta?: Uint8Array }

/** What is in the directory already (without creating anything). */
async function existingFiles(dir: FileSystemDirectoryHandle): Promise<Files> {
  const out: Files = {}
  for (const f of ['pages', 'wal', 'meta'] as const) {
    try {
      const file = await (await dir.getFileHandle(f)).getFile()
      if (f === 'meta') out.meta = new Uint8Array(await file.arrayBuffer())
      else out[f] = { size: file.size }
    } catch (e) {
      if (!(e instanceof DOMException && (e.name === 'NotFoundError' || e.name === 'TypeMismatchError'))) throw e
    }
  }
  return out
}

/** Opens the three files on sync access handles, or says why that is impossible here. */
async function openOpfsFiles(name: string, dir: FileSystemDirectoryHandle): Promise<{ pages: OpfsBlockFile; wal: OpfsBlockFile; mirror: OpfsBlockFile } | string> {
  const opened: OpfsBlockFile[] = []
  try {
    for (const f of ['pages', 'wal', 'meta']) {
      const fh = await dir.getFileHandle(f, { create: true })
      if (typeof fh.createSyncAccessHandle !== 'function') return 'FileSystemFileHandle.createSyncAccessHandle is missing (dedicated workers only)'
      opened.push(new OpfsBlockFile(await fh.createSyncAccessHandle(), `${name}/${f}`))
    }
  } catch (e) {
    for (const f of opened) f.close()
    if (e instanceof DOMException && ['NotSupportedError', 'InvalidStateError', 'SecurityError', 'UnknownError'].includes(e.name) && !opened.length) {
      return `createSyncAccessHandle() failed: ${describe(e)}`
    }
    throw e
  }
  const [pages, wal, mirror] = opened as [OpfsBlockFile, OpfsBlockFile, OpfsBlockFile]
  return { pages, wal, mirror }
}

/** Puts the Meta copy kept beside the pages back into IndexedDB, or fails saying why it can't. */
async function restoreTable(name: string, idb: IDBPDatabase, mirror: Uint8Array | undefined): Promise<void> {
  const meta = mirror && decodeMirror(mirror)
  if (!meta) {
    throw new StorageLostError(
      `cowdb: the snapshot table of '${name}' (IndexedDB) is gone and the copy kept beside its pages is ${mirror ? 'damaged' : 'missing'}, so the pages cannot be read; deleteDB('${name}') starts over`,
      'snapshot-table',
    )
  }
  await new IdbMetaStore(idb, 'opfs').save(meta)
}

function pagesLost(name: string, missing: string[], snapshots: number): StorageLostError {
  return new StorageLostError(
    `cowdb: the OPFS files of '${name}' (${missing.join(', ')}) are gone while its snapshot table in IndexedDB remains (head and ${snapshots} snapshot(s), whose data was in those files): the data cannot be recovered; deleteDB('${name}') starts over`,
    'pages',
  )
}

function tableLost(name: string, files: Files): StorageLostError {
  const copy = files.meta && decodeMirror(files.meta)
  const what = `its OPFS pages (${files.pages?.size ?? 0} bytes) and WAL (${files.wal?.size ?? 0} bytes) remain`
  return new StorageLostError(
    copy
      ? `cowdb: the snapshot table of '${name}' (IndexedDB) is gone; ${what}, with a copy of the table from its last checkpoint: openDB('${name}', { recover: true }) rebuilds it with every commit; deleteDB('${name}') starts over`
      : `cowdb: the snapshot table of '${name}' (IndexedDB) is gone; ${what}, but no usable copy of the table: the data cannot be read; deleteDB('${name}') starts over`,
    'snapshot-table',
  )
}

function describe(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e)
}

/** The OPFS page store alone (kept for callers of the first API). Cost: as openStorage. */
export async function openOpfsStorage(name: string): Promise<Storage> {
  return (await openStorage(name, { store: 'opfs' })).storage
}
