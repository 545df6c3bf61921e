// Pinned reads, written once for every host that offers them: the engine itself and the browser
// client, whose host sends each call to the worker. A reader pins one state (`openReader`); reads
// that name it see that state however many commits follow, until `closeReader`. On top of that:
// iterate in chunks (one bounded scan per chunk, all at the pinned state) and the optimistic
// transaction's retry loop (tx.ts buffers the writes and builds the plan; the host validates it).

import { ConflictError } from './errors.js'
import { BufferedTransaction, type TxPlan } from './tx.js'
import type { Commit, Key, Range, ReadOptions, ScanOptions, Transaction, Value, WriteOptions } from './types.js'

/** Read options that name a pinned reader: the read sees the reader's state. */
export type ReaderOptions = ReadOptions & { reader: number }

/** A pinned state: its reader id and the commit generation it was taken at. */
export type Reader = { reader: number; generation: number }

/** What iterate needs from a database: pin a state, scan it, unpin it. */
export interface ReaderHost {
  /** Pins the head of `opts.branch` (default main), or snapshot `opts.snapshot`. Cost: as Database.openReader, O(1). */
  openReader(opts?: WriteOptions & { snapshot?: string }): Reader | Promise<Reader>
  /** Unpins a reader. Must not throw: it is called on every way out, and nobody waits for it. Cost: as Database.closeReader, O(1). */
  closeReader(reader: number): void
  /** Entries of a range; with `reader`, at that reader's state. Cost: as Database.scan. */
  scan(range: Range & ScanOptions & { reader?: number }): Promise<[Key, Value][]>
}

/** What a transaction needs from a database: pinned reads, and a plan to validate and apply. */
export interface TxHost extends ReaderHost {
  /** The value of `key` at a pinned reader's state. Cost: as Database.get. */
  get(key: Key, opts: ReaderOptions): Promise<Value | undefined>
  /** Validates the plan's reads against the commits since it began; applies its writes or throws ConflictError. Cost: as Database.commitPlan. */
  commitPlan(plan: TxPlan, opts?: WriteOptions): Promise<Commit>
}

/** Entries per chunk of iterate(): one scan each. */
export const ITERATE_CHUNK = 256

/**
 * Streams the entries of `range` in key order (or reverse), at most `range.limit`, all from the
 * state when iteration began: the host pins the head (of `range.branch`) or the snapshot
 * (`range.snapshot`), and the pages it needs stay alive until the loop ends (break, return, throw
 * or the last entry), even if the snapshot is dropped meanwhile. Cost: one host scan per 256 entries.
 */
export async function* iterateChunks(host: ReaderHost, range: Range & ScanOptions = {}): AsyncGenerator<[Key, Value]> {
  if (range === null || typeof range !== 'object') throw new TypeError('cowdb: iterate() takes a range object')
  const limit = range.limit ?? Infinity
  if (typeof limit !== 'number' || Number.isNaN(limit) || limit < 0) throw new TypeError(`cowdb: limit must be a number >= 0, got ${String(range.limit)}`)
  // the branch too with a snapshot: a tenant's snapshots are seen only through it
  const pinned = await host.openReader(range.snapshot === undefined ? { branch: range.branch } : { snapshot: range.snapshot, branch: range.branch })
  try {
    let left = limit
    let at: Range & ScanOptions = { ...range }
    while (left > 0) {
      const want = Math.min(ITERATE_CHUNK, left)
      const chunk = await host.scan({ ...at, reader: pinned.reader, limit: want })
      yield* chunk
      left -= chunk.length
      if (chunk.length < want) break
      const last = chunk[chunk.length - 1]![0]
      at = range.reverse ? { ...at, lt: last, lte: undefined } : { ...at, gt: last, gte: undefined }
    }
  } finally {
    host.closeReader(pinned.reader)
  }
}

/**
 * Runs `fn` as an optimistic transaction: its reads see the state it began on (and its own
 * writes), its writes are buffered and commit atomically. If a commit since the start wrote a key
 * it read or into a range it scanned, `fn` runs again (up to `retries`, default 3), then
 * ConflictError; so does a ConflictError thrown inside `fn` (a read whose pinned state is gone:
 * in the browser, the tab that owned the database changed). Awaiting inside `fn` is fine. Blind
 * writes never conflict.
 * Cost: per attempt, one pinned read per tx.get/scan and one commit.
 */
export async function runTransaction<T>(host: TxHost, fn: (tx: Transaction) => Promise<T>, opts: { retries?: number } & WriteOptions = {}): Promise<T> {
  if (typeof fn !== 'function') throw new TypeError('cowdb: transaction() takes an async function')
  if (opts === null || typeof opts !== 'object') throw new TypeError('cowdb: transaction options must be an object')
  const retries = opts.retries ?? 3
  if (!Number.isInteger(retries) || retries < 0) throw new TypeError(`cowdb: retries must be an integer >= 0, got ${retries}`)
  const at: WriteOptions = opts.branch === undefined ? {} : { branch: opts.branch }
  for (let attempt = 0; ; attempt++) {
    try {
      const { reader, generation } = await host.openReader(at)
      const pinned: ReaderOptions = { reader }
      let plan: TxPlan
      let result: T
      try {
        const tx = new BufferedTransaction({ get: (key) => host.get(key, pinned), scan: (r) => host.scan({ ...r, ...pinned }) }, generation)
        result = await fn(tx)
        plan = tx.finish()
      } finally {
        host.closeReader(reader)
      }
      if (plan.ops.length) await host.commitPlan(plan, at)
      return result
    } catch (e) {
      if (!(e instanceof ConflictError) || attempt >= retries) throw e
    }
  }
}
