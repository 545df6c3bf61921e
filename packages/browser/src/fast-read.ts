// Reads on the main thread from shared memory: the chunk the client loads (dynamic import) once
// its worker shares its page cache, so apps that never get there never load it. get, getMany,
// scan and count at a head or a snapshot walk the published pages in place (page-read.ts) and
// answer with no message. Each method returns undefined when it cannot answer (a page is not
// there or changed under it, the published state is older than this tab's last resolved write, a
// write of this tab it could overtake is running, or anything unusual about the arguments): the
// client then asks the worker, which gives the one true answer (or the error) and, for a missing
// page, publishes the pages that read walks.

import type { Key, Range, ReadOptions, ScanOptions, Value } from '@cowdb/core'
import { decodeKey, encodeKey, encodeRange, type KeyRange } from '@cowdb/core/keys'
import { MISS, readCount, readRange, readValue } from '@cowdb/core/page-read'
import { decodeValue } from '@cowdb/core/values'
import type { PendingWrites } from './pending-writes.js'
import type { WarmRead } from './protocol.js'
import { SharedCacheReader } from './shared-cache.js'

const SCAN_DEFAULT_LIMIT = 1000
/** The roots cannot serve this read (not published, older than this tab's writes, no such head or snapshot). */
const NO_ROOT = Symbol('no root')

export class FastReader {
  /** Reads answered here, and reads that went to the worker. */
  hits = 0
  misses = 0
  private readonly cache: SharedCacheReader

  constructor(
    buffer: SharedArrayBuffer,
    private readonly pending: PendingWrites,
    /** Told of each read that missed a page, to ask the worker to publish what it walks. */
    private readonly missed: (read: WarmRead) => void,
  ) {
    this.cache = new SharedCacheReader(buffer)
  }

  /** The value of `key`, from shared memory; undefined: ask the worker. Cost: O(depth x log fanout), no message. */
  get(key: Key, opts?: ReadOptions): Promise<Value | undefined> | undefined {
    const at = readAt(opts)
    const k = at && encoded(key)
    if (!k || this.pending.holds(k)) return this.miss()
    const got = this.twice((root) => readValue(this.cache, root, k), at)
    if (got === NO_ROOT) return this.miss()
    if (got === MISS) return this.miss({ at, keys: [key] })
    return this.answer(() => (got === undefined ? undefined : decodeValue(got)))
  }

  /** Values of several keys from one state; undefined: ask the worker. Cost: as get() per key. */
  getMany(keys: Key[], opts?: ReadOptions): Promise<(Value | undefined)[]> | undefined {
    const at = readAt(opts)
    if (!at || !Array.isArray(keys)) return this.miss()
    const ks: Uint8Array[] = []
    for (const key of keys) {
      const k = encoded(key)
      if (!k || this.pending.holds(k)) return this.miss()
      ks.push(k)
    }
    const got = this.twice((root) => {
      const out: (Uint8Array | undefined)[] = []
      for (const k of ks) {
        const v = readValue(this.cache, root, k)
        if (v === MISS) return MISS
        out.push(v)
      }
      return out
    }, at)
    if (got === NO_ROOT) return this.miss()
    if (got === MISS) return this.miss({ at, keys })
    return this.answer(() => got.map((v) => (v === undefined ? undefined : decodeValue(v))))
  }

  /** Entries in `range` (limit default 1000); undefined: ask the worker. Cost: O(log n + limit), no message. */
  scan(range: Range & ScanOptions = {}): Promise<[Key, Value][]> | undefined {
    const at = readAt(range)
    const limit = range?.limit ?? SCAN_DEFAULT_LIMIT
    const reverse = range?.reverse ?? false
    const r = at && typeof limit === 'number' && limit >= 0 && typeof reverse === 'boolean' ? encodedRange(range) : undefined
    if (!r || this.pending.holdsRange(r)) return this.miss()
    const got = this.twice((root) => {
      const out: [Uint8Array, Uint8Array][] = []
      return readRange(this.cache, root, r, reverse, limit, out) ? out : MISS
    }, at!)
    if (got === NO_ROOT) return this.miss()
    if (got === MISS) return this.miss({ at, range: bounds(range), reverse, limit })
    return this.answer(() => got.map(([k, v]): [Key, Value] => [decodeKey(k), decodeValue(v)]))
  }

  /** Number of keys in `range`; undefined: ask the worker. Cost: O(log n + leaves in range), no message. */
  count(range?: Range, opts?: ReadOptions): Promise<number> | undefined {
    const at = readAt(opts ?? range)
    const r = at ? encodedRange(range) : undefined
    if (!r || this.pending.holdsRange(r)) return this.miss()
    const got = this.twice((root) => readCount(this.cache, root, r), at!)
    if (got === NO_ROOT) return this.miss()
    if (got === MISS) return this.miss({ at, range: bounds(range), reverse: false, limit: Infinity })
    return this.answer(() => got)
  }

  /**
   * Runs `read` on the root the options name, once more if it missed a page (it may have been
   * rewritten under it); NO_ROOT if the roots are not published, older than this tab's writes, or
   * lack that head or snapshot (or it is a snapshot read scoped to a head other than main).
   */
  private twice<T>(read: (root: number) => T | typeof MISS, at: ReadOptions): T | typeof MISS | typeof NO_ROOT {
    for (let attempt = 0; attempt < 2; attempt++) {
      const roots = this.cache.currentRoots()
      if (!roots || roots.generation < this.pending.generation) return NO_ROOT
      // the published snapshots are those a read at main sees; one scoped to another head asks the worker
      const root = at.snapshot === undefined ? roots.head(at.branch ?? 'main') : at.branch === undefined || at.branch === 'main' ? roots.snapshot(at.snapshot) : undefined
      if (root === undefined || root < 0) return NO_ROOT
      const got = read(root)
      if (got !== MISS && this.cache.sameOwner(roots)) return got
    }
    return MISS
  }

  private answer<T>(decode: () => T): Promise<T> | undefined {
    let value: T
    try {
      value = decode()
    } catch {
      return this.miss() // the worker reports it (with the engine's error)
    }
    this.hits++
    return Promise.resolve(value)
  }

  private miss(read?: WarmRead): undefined {
    this.misses++
    if (read) this.missed(read)
    return undefined
  }
}

/** The head or snapshot read options name, if they are plain (else: ask the worker, which checks them). */
function readAt(o: unknown): ReadOptions | undefined {
  if (o === undefined) return {}
  if (o === null || typeof o !== 'object' || 'reader' in o) return undefined
  const { snapshot, branch } = o as ReadOptions
  if ((snapshot !== undefined && typeof snapshot !== 'string') || (branch !== undefined && typeof branch !== 'string')) return undefined
  return { snapshot, branch }
}

function encoded(key: Key): Uint8Array | undefined {
  try {
    return encodeKey(key)
  } catch {
    return undefined
  }
}

function encodedRange(range: Range | undefined): KeyRange | undefined {
  try {
    return encodeRange(range)
  } catch {
    return undefined
  }
}

/** Only a range's bounds (what warm() needs to walk it). */
function bounds(range: Range | undefined): Range {
  const out: Range = {}
  for (const b of ['gt', 'gte', 'lt', 'lte'] as const) if (range?.[b] !== undefined) out[b] = range[b]
  return out
}
