// CowdbLevel: an abstract-level database over a cowdb database (the browser client, a Node store,
// or core's Database), so code written for the Level ecosystem (sublevels, encodings, iterators,
// snapshots, hooks) runs on cowdb. abstract-level does the encodings, sublevels, hooks, events
// and deferred open; this class maps the storage calls. Keys and values are stored as bytes.
import { AbstractLevel, type AbstractDatabaseOptions, type AbstractIteratorOptions } from 'abstract-level'
import type { DatabaseApi, Op, Range } from '@cowdb/core'
import { CowdbIterator } from './iterator.js'
import { after, type LevelRange, toCowdbRange } from './range.js'
import { CowdbSnapshot, borrowed, takeSnapshot, type SnapshotRef } from './snapshot.js'

/** What CowdbLevel needs of a cowdb database: `openDB()`'s, `open()`'s and core's `Database` all have it. */
export type CowdbDatabase = Pick<DatabaseApi, 'get' | 'getMany' | 'put' | 'delete' | 'batch' | 'deleteRange' | 'scan' | 'snapshot' | 'dropSnapshot' | 'close'>

/** A cowdb database, or a function that opens one (called at each open; closed at each close). */
export type CowdbSource = CowdbDatabase | (() => Promise<CowdbDatabase>)

type ReadOptions = { snapshot?: CowdbSnapshot }
type LevelOp = { type: 'put'; key: Uint8Array; value: Uint8Array } | { type: 'del'; key: Uint8Array }
type ClearOptions = LevelRange & ReadOptions & { limit: number; reverse?: boolean }

const CLEAR_CHUNK = 1024

/**
 * An abstract-level database stored in cowdb. `source` is an open cowdb database (the app keeps
 * owning it: closing this Level database leaves it open), or a function that opens one, which
 * this database then owns (opened by `open()`, closed by `close()`). Supports sublevels,
 * encodings, iterators with seek, `has`, and explicit snapshots (`db.snapshot()`); every
 * iterator reads from a snapshot taken when it was created.
 * Cost: none until open; see each operation.
 */
export class CowdbLevel<KDefault = string, VDefault = string> extends AbstractLevel<Uint8Array, KDefault, VDefault> {
  private db: CowdbDatabase | undefined
  private readonly opener: (() => Promise<CowdbDatabase>) | undefined

  constructor(source: CowdbSource, options?: AbstractDatabaseOptions<KDefault, VDefault>) {
    super(
      {
        encodings: { view: true },
        seek: true,
        has: true,
        implicitSnapshots: true,
        explicitSnapshots: true,
        permanence: true,
        createIfMissing: false,
        errorIfExists: false,
      },
      options,
    )
    if (typeof source === 'function') this.opener = source
    else if (source && typeof source === 'object' && typeof source.scan === 'function') this.db = source
    else throw new TypeError('@cowdb/level: new CowdbLevel(db) takes a cowdb database, or a function that opens one')
  }

  /** The cowdb database underneath (while open). Cost: O(1). */
  get cowdb(): CowdbDatabase {
    if (!this.db) throw new Error('@cowdb/level: the database is not open')
    return this.db
  }

  /** @internal Opens the cowdb database when this one owns it. Cost: the cowdb open (recovery), or none. */
  async _open(): Promise<void> {
    if (this.opener) this.db = await this.opener()
  }

  /** @internal Closes the cowdb database when this one owns it. Cost: the cowdb close (a checkpoint), or none. */
  async _close(): Promise<void> {
    if (this.opener && this.db) {
      const db = this.db
      this.db = undefined
      await db.close()
    }
  }

  /** @internal The value of `key`. Cost: one cowdb get(): O(log n) page reads. */
  async _get(key: Uint8Array, options: ReadOptions): Promise<Uint8Array | undefined> {
    return (await this.cowdb.get(key, await readAt(options))) as Uint8Array | undefined
  }

  /** @internal The values of `keys`, from one state. Cost: one cowdb getMany(): O(k log n). */
  async _getMany(keys: Uint8Array[], options: ReadOptions): Promise<(Uint8Array | undefined)[]> {
    return (await this.cowdb.getMany(keys, await readAt(options))) as (Uint8Array | undefined)[]
  }

  /** @internal Whether `key` exists. Cost: one cowdb get(). */
  async _has(key: Uint8Array, options: ReadOptions): Promise<boolean> {
    return (await this._get(key, options)) !== undefined
  }

  /** @internal Whether each of `keys` exists. Cost: one cowdb getMany(). */
  async _hasMany(keys: Uint8Array[], options: ReadOptions): Promise<boolean[]> {
    return (await this._getMany(keys, options)).map((v) => v !== undefined)
  }

  /** @internal Sets `key`; resolves once durable. Cost: one cowdb put(): O(log n) + a shared WAL flush. */
  async _put(key: Uint8Array, value: Uint8Array): Promise<void> {
    await this.cowdb.put(key, value)
  }

  /** @internal Deletes `key`. Cost: one cowdb delete(). */
  async _del(key: Uint8Array): Promise<void> {
    await this.cowdb.delete(key)
  }

  /** @internal Applies `operations` atomically, as one cowdb commit. Cost: one cowdb batch(): O(ops log n). */
  async _batch(operations: LevelOp[]): Promise<void> {
    const ops: Op[] = operations.map((o) => (o.type === 'put' ? { type: 'put', key: o.key, value: o.value } : { type: 'delete', key: o.key }))
    if (ops.length) await this.cowdb.batch(ops)
  }

  /**
   * @internal
   * Deletes the keys in a range: a whole range in one cowdb deleteRange() (dropping subtrees);
   * with a limit, or at a snapshot, the keys read there, deleted in batches.
   * Cost: O(log n) without a limit or snapshot, else O(keys deleted).
   */
  async _clear(options: ClearOptions): Promise<void> {
    const range = toCowdbRange(options)
    if (options.limit < 0 && !options.snapshot) {
      await this.cowdb.deleteRange(range)
      return
    }
    const at = options.snapshot ? borrowed(options.snapshot) : takeSnapshot(this.cowdb)
    try {
      let left = options.limit < 0 ? Infinity : options.limit
      let next: Range = range
      while (left > 0) {
        const rows = await this.cowdb.scan({ ...next, reverse: options.reverse === true, limit: Math.min(CLEAR_CHUNK, left), snapshot: await at.id })
        if (!rows.length) break
        await this.cowdb.batch(rows.map(([key]) => ({ type: 'delete', key }) as Op))
        left -= rows.length
        next = after(next, rows[rows.length - 1]![0] as Uint8Array, options.reverse === true)
      }
    } finally {
      await at.release()
    }
  }

  /** @internal An iterator over a range, reading at a snapshot taken now (or the explicit one given). Cost: one cowdb snapshot(); then one scan() per chunk. */
  _iterator(options: AbstractIteratorOptions<Uint8Array, Uint8Array> & ReadOptions): CowdbIterator {
    const snap: SnapshotRef = options.snapshot ? borrowed(options.snapshot) : takeSnapshot(this.cowdb)
    return new CowdbIterator(this as CowdbLevel<unknown, unknown>, options, toCowdbRange(options), snap)
  }

  /** @internal An explicit snapshot: reads with `{ snapshot }` see the state of now. Cost: one cowdb snapshot() (a small WAL record). */
  _snapshot(options: { owner: unknown }): CowdbSnapshot {
    return new CowdbSnapshot(this.cowdb, options)
  }
}

/** cowdb read options for a Level read: at the explicit snapshot's cowdb snapshot, if any. */
async function readAt(options: ReadOptions): Promise<{ snapshot?: string }> {
  return options.snapshot ? { snapshot: await options.snapshot.taken.id } : {}
}
