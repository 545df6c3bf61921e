// Optimistic transactions. Reads see the state the transaction began on plus its own writes;
// writes are buffered. At commit the engine checks that no commit since the start wrote a key
// the transaction read or anything inside a range it scanned (read-set validation: this gives
// serializable transactions, not just snapshot isolation), then applies all writes atomically.
// The same class runs in the browser client, with reads going to the worker.

import { bytesKey } from './bytes.js'
import type { KeyRange } from './keys.js'
import { compareKeys, decodeKey, encodeKey, encodeRange, keyInRange } from './keys.js'
import type { EncodedOp } from './ops.js'
import type { Key, Range, Transaction, Value } from './types.js'
import { decodeValue, encodeValue } from './values.js'

/** What a transaction asks the engine to validate and apply. */
export type TxPlan = { startGeneration: number; reads: Uint8Array[]; ranges: KeyRange[]; ops: EncodedOp[] }

/** Reads at the transaction's starting state (in the engine, or across the worker boundary). */
export interface TxReader {
  /** The value of `key` at the starting state. Cost: as Database.get at a pinned reader. */
  get(key: Key): Promise<Value | undefined>
  /** Entries in `range` at the starting state. Cost: as Database.scan at a pinned reader. */
  scan(range: Range & { limit: number; reverse: boolean }): Promise<[Key, Value][]>
}

type Write = { enc: Uint8Array; key: Key; value?: Uint8Array }

export class BufferedTransaction implements Transaction {
  private writes = new Map<string, Write>()
  private reads: Uint8Array[] = []
  private ranges: KeyRange[] = []
  private done = false

  constructor(
    private readonly reader: TxReader,
    readonly startGeneration: number,
  ) {}

  /** The value at the start state, or this transaction's own write. Cost: one engine read. */
  async get(key: Key): Promise<Value | undefined> {
    this.live()
    const enc = encodeKey(key)
    const own = this.writes.get(bytesKey(enc))
    if (own) return own.value === undefined ? undefined : decodeValue(own.value)
    this.reads.push(enc)
    return this.reader.get(key)
  }

  /**
   * Entries in range at the start state merged with this transaction's writes; the range joins
   * the read set. Cost: one engine scan of up to `limit` plus the writes in range, O(writes) to
   * find those, and sorting the merged entries.
   */
  async scan(range: Range & { limit?: number; reverse?: boolean } = {}): Promise<[Key, Value][]> {
    this.live()
    const r = encodeRange(range)
    const limit = range.limit ?? 1000
    const reverse = range.reverse === true
    this.ranges.push(r)
    const own = [...this.writes.values()].filter((w) => keyInRange(w.enc, r))
    const base = await this.reader.scan({ ...range, limit: limit + own.length, reverse })
    const merged = new Map<string, { enc: Uint8Array; key: Key; value: Value }>()
    for (const [k, v] of base) {
      const enc = encodeKey(k)
      merged.set(bytesKey(enc), { enc, key: k, value: v })
    }
    for (const w of own) {
      if (w.value === undefined) merged.delete(bytesKey(w.enc))
      else merged.set(bytesKey(w.enc), { enc: w.enc, key: decodeKey(w.enc), value: decodeValue(w.value) })
    }
    const sorted = [...merged.values()].sort((a, b) => compareKeys(a.enc, b.enc) * (reverse ? -1 : 1))
    return sorted.slice(0, limit).map((e) => [e.key, e.value])
  }

  /** Buffers a put; bad keys and values throw TypeError here, not at commit. Cost: O(key + value size), no I/O. */
  put(key: Key, value: Value): void {
    this.live()
    const enc = encodeKey(key)
    this.writes.set(bytesKey(enc), { enc, key, value: encodeValue(value) })
  }

  /** Buffers a delete; a bad key throws TypeError here, not at commit. Cost: O(key size), no I/O. */
  delete(key: Key): void {
    this.live()
    const enc = encodeKey(key)
    this.writes.set(bytesKey(enc), { enc, key })
  }

  /** The plan to validate and apply; the transaction cannot be used afterwards. Cost: O(writes). */
  finish(): TxPlan {
    this.done = true
    const ops: EncodedOp[] = [...this.writes.values()].map((w) =>
      w.value === undefined ? { type: 'delete', key: w.enc } : { type: 'put', key: w.enc, value: w.value },
    )
    return { startGeneration: this.startGeneration, reads: this.reads, ranges: this.ranges, ops }
  }

  private live(): void {
    if (this.done) throw new TypeError('cowdb: this transaction has finished; use the one passed to the current attempt')
  }
}

/** Keys and ranges one commit wrote, for validating transactions that started before it. */
export type CommitFootprint = { generation: number; branch: string; keys: Uint8Array[]; ranges: KeyRange[]; all?: boolean }

/** Commits remembered for validating optimistic transactions. */
const COMMIT_LOG_LIMIT = 100_000

/** The footprints of recent commits, oldest first: what transactions are validated against. */
export class CommitLog {
  private log: CommitFootprint[] = []

  /** Remembers one commit; the oldest are forgotten past the limit. Cost: O(1) amortized. */
  push(f: CommitFootprint): void {
    this.log.push(f)
    if (this.log.length > COMMIT_LOG_LIMIT) this.log.splice(0, this.log.length - COMMIT_LOG_LIMIT)
  }

  get length(): number {
    return this.log.length
  }

  /** Forgets the commits after the first `n` (they were rolled back). */
  truncate(n: number): void {
    this.log.length = n
  }

  /** Forgets the commits after `generation` (they were rolled back). Cost: O(commits dropped). */
  dropAfter(generation: number): void {
    while (this.log.length && this.log[this.log.length - 1]!.generation > generation) this.log.pop()
  }

  /** Whether `plan` conflicts with a commit since it began (see conflicts()). */
  conflicts(plan: TxPlan, generation: number, branch: string): boolean {
    return conflicts(plan, this.log, generation, branch)
  }
}

/**
 * Whether a transaction that started at `plan.startGeneration` conflicts with the commits in
 * `log` (oldest first). A log that does not reach back far enough counts as a conflict.
 * Cost: O(keys written since the start + reads).
 */
export function conflicts(plan: TxPlan, log: CommitFootprint[], generation: number, branch: string): boolean {
  if (plan.startGeneration >= generation) return false
  if (plan.reads.length === 0 && plan.ranges.length === 0) return false
  const oldest = log.length ? log[0]!.generation : generation + 1
  if (oldest > plan.startGeneration + 1) return true
  const readSet = new Set(plan.reads.map(bytesKey))
  const hit = (k: Uint8Array) => readSet.has(bytesKey(k)) || plan.ranges.some((r) => keyInRange(k, r))
  for (const c of log) {
    if (c.generation <= plan.startGeneration || c.branch !== branch) continue
    if (c.all) return true
    for (const k of c.keys) if (hit(k)) return true
    for (const r of c.ranges) {
      if (plan.reads.some((k) => keyInRange(k, r))) return true
      if (plan.ranges.some((s) => rangesOverlap(r, s))) return true
    }
  }
  return false
}

function rangesOverlap(a: KeyRange, b: KeyRange): boolean {
  return below(a.lo, a.loInclusive, b.hi, b.hiInclusive) && below(b.lo, b.loInclusive, a.hi, a.hiInclusive)
}

/** Whether a range starting at `lo` can have keys at or below a range ending at `hi`. */
function below(lo: Uint8Array | undefined, loInc: boolean, hi: Uint8Array | undefined, hiInc: boolean): boolean {
  if (!lo || !hi) return true
  const c = compareKeys(lo, hi)
  return c < 0 || (c === 0 && loInc && hiInc)
}
