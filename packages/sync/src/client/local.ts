// What sync keeps in the local database, behind one small interface (`LocalSync`) so that the
// engine can take it over: today it is built from the public API alone.
//
//  - the base: the data as of the last sync (the server's state at the cursor). Kept as the head
//    of a branch `cowdb-sync/<remote>/base`, with one snapshot of it (label prefix
//    `cowdb-sync/`) as the `from` of diff(base, head); the previous one is dropped at each sync.
//  - the sync state (cursor, device id, pending push) and the commit HLC of each key the app
//    changed since: in a branch `cowdb-sync/<remote>/meta`, key 'state' and one binary key per
//    app key (its encoded bytes) → HLC string. The HLCs are taken by a subscribe() listener on
//    main when each commit becomes durable, and written in batches.
//
// Neither branch is the app's data: their names start with `cowdb-`, so branches() and
// snapshots() leave them and their snapshots out unless asked for `{ internal: true }`. The
// engine API asked for in docs/sync.md would stamp the HLC in the commit itself.

import { encodeKey, encodeValue, Hlc, type Change, type ChangeEvent, type ChangeListener, type Commit, type Key, type Op, type Range, type SnapshotInfo, type Transaction, type Value } from '@cowdb/core'

/** The part of the cowdb Database API sync uses: core's Database and the browser client both have it. */
export interface SyncDatabase {
  get(key: Key, opts?: { snapshot?: string; branch?: string }): Promise<Value | undefined>
  getMany(keys: Key[], opts?: { snapshot?: string; branch?: string }): Promise<(Value | undefined)[]>
  scan(range?: Range & { limit?: number; snapshot?: string; branch?: string }): Promise<[Key, Value][]>
  batch(ops: Op[], opts?: { branch?: string }): Promise<Commit>
  deleteRange(range: Range, opts?: { branch?: string }): Promise<Commit>
  snapshot(opts?: { label?: string; branch?: string }): Promise<SnapshotInfo>
  snapshots(opts?: { internal?: boolean }): Promise<SnapshotInfo[]>
  dropSnapshot(id: string): Promise<void>
  diff(from: string, to?: string, opts?: { branch?: string }): Promise<Change[]>
  restore(id: string, opts?: { branch?: string }): Promise<Commit>
  branch(name: string, opts?: { from?: string }): Promise<unknown>
  branches(opts?: { internal?: boolean }): Promise<{ name: string; generation?: number }[]>
  transaction<T>(fn: (tx: Transaction) => Promise<T>, opts?: { retries?: number; branch?: string }): Promise<T>
  subscribe(range: Range & { branch?: string }, listener: ChangeListener): Promise<() => void>
}

/** The sync state of one remote, saved in the local database. */
export type SyncState = {
  v: 1
  url: string
  device: string
  /** The server sequence the base matches. */
  cursor: number
  /** Snapshot of the base at the cursor. */
  base: string
  /** Latest HLC issued or seen, so the clock never goes back across restarts. */
  clock: string
  /** A push in flight: its id, the snapshot of the head it sends, each key's HLC (in diff order). */
  push?: { id: string; snap: string; hlcs: string[]; seq?: number }
  /** A merge in flight: the sequence it merges up to (so a resumed one merges the same window). */
  pull?: { upTo: number }
}

/** The engine support sync needs; see the note at the top of this file. */
export interface LocalSync {
  readonly db: SyncDatabase
  /** The saved state, or undefined before the first sync. */
  load(): Promise<SyncState | undefined>
  /** Replaces the saved state (one atomic write). */
  save(state: SyncState): Promise<void>
  /** A fresh, empty base; resolves to its snapshot id. */
  initBase(): Promise<string>
  /** Applies ops to the base and snapshots it; the old base snapshot stays until dropped. */
  advanceBase(ops: Op[]): Promise<string>
  /** Makes the base a copy of snapshot `id` (sharing its pages) and snapshots it. */
  rebase(id: string): Promise<string>
  /** Snapshots the app's head (main) for a push. */
  snapshotHead(): Promise<string>
  /** Drops sync snapshots other than `keep` (left by an interrupted sync). */
  dropSnapshotsExcept(keep: string[]): Promise<void>
  /** Starts recording commit HLCs of the app's changes; `onChange` hears each commit. */
  track(clock: Hlc, onChange: (e: ChangeEvent) => void): Promise<void>
  /** The recorded commit HLC of each key (undefined: not recorded). */
  commitHlcs(keys: Key[]): Promise<(string | undefined)[]>
  /** Forgets recorded HLCs up to `hlc` (they went out in a push). */
  forgetHlcs(upTo: string): Promise<void>
  /** Stops recording (pending records are written first). */
  close(): Promise<void>
}

const MAIN = 'main'
/** Recorded HLCs are written at most this long after their commit. */
const FLUSH_MS = 20
/**
 * Writes to sync's branches go in commits below this size. Why: a commit over the engine's
 * large-commit size (1 MiB) on a branch created from a non-empty main leaves main's shared pages
 * on the free list (found by the sync benchmark; reported with a repro). Neither branch needs
 * one atomic commit: advancing the base is idempotent, and HLC records are hints.
 */
const BRANCH_COMMIT_BYTES = 256 << 10

/** Applies ops to a branch in commits of at most BRANCH_COMMIT_BYTES. Cost: O(bytes). */
async function branchBatch(db: SyncDatabase, ops: Op[], branch: string): Promise<void> {
  let chunk: Op[] = []
  let bytes = 0
  for (const op of ops) {
    const size = encodeKey(op.key).length + (op.type === 'put' ? encodeValue(op.value).length : 0)
    if (chunk.length && bytes + size > BRANCH_COMMIT_BYTES) {
      await db.batch(chunk, { branch })
      chunk = []
      bytes = 0
    }
    chunk.push(op)
    bytes += size
  }
  if (chunk.length) await db.batch(chunk, { branch })
}

/** Branch and snapshot names of one remote. */
export function syncNames(remote: string) {
  const root = `cowdb-sync/${remote}`
  return { base: `${root}/base`, meta: `${root}/meta`, label: `${root}/` }
}

/** LocalSync from the public Database API (branches, snapshots, subscribe). */
export function branchLocalSync(db: SyncDatabase, remote: string): LocalSync {
  const names = syncNames(remote)
  const meta = { branch: names.meta }
  const pending = new Map<string, { key: Key; hlc: string }>()
  let flushing: Promise<void> = Promise.resolve()
  let timer: ReturnType<typeof setTimeout> | undefined
  let unsubscribe: (() => void) | undefined

  const ensureBranch = async (name: string) => {
    if (!(await db.branches({ internal: true })).some((b) => b.name === name)) await db.branch(name)
  }
  /** The record of an app key: its encoded bytes, as a binary key (the state key is a string). */
  const recordKey = (k: Key): Uint8Array | undefined => {
    const bytes = encodeKey(k)
    return bytes.length <= 2000 ? bytes : undefined // the longest keys go unrecorded (HLC of the push)
  }
  const flush = (): Promise<void> => {
    clearTimeout(timer)
    timer = undefined
    if (!pending.size) return flushing
    const ops: Op[] = [...pending.values()].flatMap(({ key, hlc }) => {
      const rk = recordKey(key)
      return rk ? [{ type: 'put' as const, key: rk, value: hlc }] : []
    })
    pending.clear()
    flushing = flushing.catch(() => {}).then(() => branchBatch(db, ops, names.meta))
    return flushing
  }

  return {
    db,
    async load() {
      if (!(await db.branches({ internal: true })).some((b) => b.name === names.meta)) return undefined
      const saved = (await db.get('state', meta)) as (SyncState & { hlcChunks?: number }) | undefined
      if (!saved?.push || saved.hlcChunks === undefined) return saved
      const chunks = (await db.getMany(Array.from({ length: saved.hlcChunks }, (_, i) => ['hlcs', i]), meta)) as string[][]
      const { hlcChunks: _, ...state } = saved
      return { ...state, push: { ...saved.push, hlcs: chunks.flat() } }
    },
    async save(state) {
      // a large push's HLCs go in records of their own first (one value must stay a small commit)
      if (!state.push) return void (await db.batch([{ type: 'put', key: 'state', value: state }], meta))
      const per = 24 // records under a quarter page: no overflow chains
      const chunks = Array.from({ length: Math.ceil(state.push.hlcs.length / per) }, (_, i) => state.push!.hlcs.slice(i * per, (i + 1) * per))
      await branchBatch(db, chunks.map((c, i) => ({ type: 'put', key: ['hlcs', i], value: c })), names.meta)
      await db.batch([{ type: 'put', key: 'state', value: { ...state, push: { ...state.push, hlcs: [] }, hlcChunks: chunks.length } }], meta)
    },
    async initBase() {
      await ensureBranch(names.meta)
      await ensureBranch(names.base)
      await db.deleteRange({}, { branch: names.base })
      return (await db.snapshot({ label: `${names.label}base`, branch: names.base })).id
    },
    async advanceBase(ops) {
      await branchBatch(db, ops, names.base)
      return (await db.snapshot({ label: `${names.label}base`, branch: names.base })).id
    },
    async rebase(id) {
      await db.restore(id, { branch: names.base })
      return (await db.snapshot({ label: `${names.label}base`, branch: names.base })).id
    },
    async snapshotHead() {
      return (await db.snapshot({ label: `${names.label}push`, branch: MAIN })).id
    },
    async dropSnapshotsExcept(keep) {
      for (const s of await db.snapshots({ internal: true })) {
        if (s.label?.startsWith(names.label) && !keep.includes(s.id)) await db.dropSnapshot(s.id).catch(() => {})
      }
    },
    async track(clock, onChange) {
      const listener: ChangeListener = (e) => {
        const hlc = clock.next() // one HLC per commit, taken as it becomes durable
        for (const c of e.changes) pending.set(keyId(c.key), { key: c.key, hlc })
        timer ??= setTimeout(() => void flush().catch(() => {}), FLUSH_MS)
        onChange(e)
      }
      unsubscribe = await db.subscribe({}, listener)
    },
    async commitHlcs(keys) {
      await flush()
      const rks = keys.map(recordKey)
      const present = rks.flatMap((k) => (k ? [k] : []))
      const got = present.length ? await db.getMany(present, meta) : []
      let i = 0
      return rks.map((k) => (k ? (got[i++] as string | undefined) : undefined))
    },
    async forgetHlcs(upTo) {
      await flush()
      // records are binary keys: from the empty binary key up to the first array key
      let after: Uint8Array | undefined
      for (;;) {
        // a transaction, so a record rewritten meanwhile (a later commit of that key) stays
        const page = await db.transaction(async (tx) => {
          const rows = await tx.scan({ ...(after ? { gt: after } : { gte: new Uint8Array(0) }), lt: [], limit: 1000 })
          for (const [key, hlc] of rows) if ((hlc as string) <= upTo) tx.delete(key)
          return rows
        }, { ...meta, retries: 10 })
        if (page.length < 1000) return
        after = page.at(-1)![0] as Uint8Array
      }
    },
    async close() {
      unsubscribe?.()
      unsubscribe = undefined
      await flush().catch(() => {})
    },
  }
}

/** A string identity of a key (its encoding in hex), for maps. Cost: O(key size). */
export function keyId(k: Key | Uint8Array, encoded = false): string {
  const b = encoded ? (k as Uint8Array) : encodeKey(k as Key)
  let s = ''
  for (const x of b) s += (x < 16 ? '0' : '') + x.toString(16)
  return s
}
