// A Level iterator over cowdb: reads the range in chunks with scan() at a cowdb snapshot, so every
// entry, across chunks and seeks, comes from the state the iterator (or the explicit snapshot it
// was given) started on. Chunks start small (Level code often reads one entry) and double.
import { AbstractIterator, type AbstractIteratorOptions } from 'abstract-level'
import type { Range } from '@cowdb/core'
import { after, seekRange } from './range.js'
import type { CowdbLevel } from './level.js'
import type { SnapshotRef } from './snapshot.js'

type Entry = [Uint8Array, Uint8Array]
const FIRST_CHUNK = 16
const MAX_CHUNK = 1024

export class CowdbIterator extends AbstractIterator<CowdbLevel<unknown, unknown>, Uint8Array, Uint8Array> {
  private readonly start: Range
  private range: Range
  private readonly reverse: boolean
  private buffer: Entry[] = []
  private done = false
  private chunk = FIRST_CHUNK

  /** @internal made by CowdbLevel's iterator(), keys() and values() */
  constructor(
    db: CowdbLevel<unknown, unknown>,
    options: AbstractIteratorOptions<Uint8Array, Uint8Array>,
    range: Range,
    private readonly snapshot: SnapshotRef,
  ) {
    super(db, options)
    this.start = range
    this.range = range
    this.reverse = options.reverse === true
  }

  /** Reads the next chunk into the buffer. Cost: one scan() of up to `chunk` entries. */
  private async fill(): Promise<void> {
    const want = Math.min(this.chunk, this.limit - this.count - this.buffer.length)
    if (want <= 0) {
      this.done = true
      return
    }
    const rows = (await this.db.cowdb.scan({ ...this.range, reverse: this.reverse, limit: want, snapshot: await this.snapshot.id })) as Entry[]
    this.chunk = Math.min(this.chunk * 2, MAX_CHUNK)
    if (rows.length < want) this.done = true
    if (rows.length) this.range = after(this.range, rows[rows.length - 1]![0], this.reverse)
    for (const row of rows) this.buffer.push(row)
  }

  /** @internal The next entry, or undefined at the end. Cost: O(1), or one scan() per chunk. */
  async _next(): Promise<Entry | undefined> {
    if (!this.buffer.length && !this.done) await this.fill()
    return this.buffer.shift()
  }

  /** @internal Up to `size` entries. Cost: one scan() per chunk they span. */
  async _nextv(size: number): Promise<Entry[]> {
    while (this.buffer.length < size && !this.done) await this.fill()
    return this.buffer.splice(0, size)
  }

  /** @internal Every remaining entry. Cost: one scan() per chunk. */
  async _all(): Promise<Entry[]> {
    while (!this.done) await this.fill()
    return this.buffer.splice(0)
  }

  /** @internal Moves to the first key at or past `target` in iteration order, within the range. Cost: O(1); the next read scans. */
  _seek(target: Uint8Array): void {
    this.range = seekRange(this.start, target, this.reverse)
    this.buffer = []
    this.done = false
    this.chunk = FIRST_CHUNK
  }

  /** @internal Releases the iterator's own snapshot (not an explicit one it was given). Cost: one cowdb call. */
  async _close(): Promise<void> {
    await this.snapshot.release()
  }
}
