// A BlockFile kept in memory and stored in IndexedDB in fixed-size chunks: the page store for
// browsers (and private windows) without OPFS sync access handles. Reads and writes are memory
// operations, as synchronous as the engine needs; flush() hands the chunks written since the
// last flush to the write-behind queue (write-behind.ts), which makes them durable in order.
// The whole file lives in memory (loaded at open): fine for the stores this fallback is for,
// and the price of synchronous reads over an asynchronous store.

import { ClosedError, type BlockFile } from '@cowdb/core'

export class IdbBlockFile implements BlockFile {
  private dirty = new Set<number>()
  /** Chunks at or past this index were cut by a truncate and must be deleted. */
  private cutFrom = Infinity
  /** Highest chunk count the file had since the last flush (the range a cut must delete). */
  private cutMax = 0
  private sizeChanged = false
  private closed = false

  /**
   * `chunks` and `length` are the file as loaded; `stage` receives each flush's chunks (null:
   * delete) and the size. Cost: O(1).
   */
  constructor(
    readonly name: string,
    readonly chunkSize: number,
    private readonly chunks: Map<number, Uint8Array>,
    private length: number,
    private readonly stage: (chunks: Map<number, Uint8Array | null>, size: number) => void,
  ) {}

  /** Copies bytes at `offset` into `into`; short at the end of the file. Cost: O(bytes). */
  read(offset: number, into: Uint8Array): number {
    this.check()
    const n = Math.max(0, Math.min(into.length, this.length - offset))
    let done = 0
    while (done < n) {
      const at = offset + done
      const index = Math.floor(at / this.chunkSize)
      const within = at - index * this.chunkSize
      const take = Math.min(n - done, this.chunkSize - within)
      const chunk = this.chunks.get(index)
      if (chunk) into.set(chunk.subarray(within, within + take), done)
      else into.fill(0, done, done + take)
      done += take
    }
    return n
  }

  /** Writes `data` at `offset` in memory; durable after the next flush's batch commits. Cost: O(bytes). */
  write(offset: number, data: Uint8Array): void {
    this.check()
    let done = 0
    while (done < data.length) {
      const at = offset + done
      const index = Math.floor(at / this.chunkSize)
      const within = at - index * this.chunkSize
      const take = Math.min(data.length - done, this.chunkSize - within)
      let chunk = this.chunks.get(index)
      if (!chunk) this.chunks.set(index, (chunk = new Uint8Array(this.chunkSize)))
      chunk.set(data.subarray(done, done + take), within)
      this.dirty.add(index)
      done += take
    }
    if (offset + data.length > this.length) {
      this.length = offset + data.length
      this.sizeChanged = true
    }
  }

  /** Stages every chunk written since the last flush (copies) for the write-behind queue. Cost: O(dirty chunks). */
  flush(): void {
    this.check()
    if (!this.dirty.size && !this.sizeChanged && this.cutFrom === Infinity) return
    const out = new Map<number, Uint8Array | null>()
    // cut chunks not written again since are deleted (a missing chunk reads as zeros)
    for (let i = this.cutFrom; i < this.cutMax; i++) if (!this.chunks.has(i)) out.set(i, null)
    for (const i of this.dirty) {
      const chunk = this.chunks.get(i)
      if (chunk) out.set(i, chunk.slice())
    }
    this.stage(out, this.length)
    this.dirty.clear()
    this.cutFrom = Infinity
    this.cutMax = 0
    this.sizeChanged = false
  }

  /** The file's size in bytes, written or not yet flushed. Cost: O(1). */
  size(): number {
    return this.length
  }

  /** Sets the size: drops chunks past it, zeroes the rest of the last one. Cost: O(chunks dropped). */
  truncate(size: number): void {
    this.check()
    const had = Math.ceil(this.length / this.chunkSize)
    const keep = Math.ceil(size / this.chunkSize)
    if (keep < had) {
      this.cutFrom = Math.min(this.cutFrom, keep)
      this.cutMax = Math.max(this.cutMax, had)
      for (let i = keep; i < had; i++) {
        this.chunks.delete(i)
        this.dirty.delete(i)
      }
    }
    if (size < this.length && size % this.chunkSize) {
      const last = this.chunks.get(keep - 1)
      if (last) {
        last.fill(0, size % this.chunkSize)
        this.dirty.add(keep - 1)
      }
    }
    this.length = size
    this.sizeChanged = true
  }

  /** Ends this handle; the bytes stay (a later open loads them). */
  close(): void {
    this.closed = true
  }

  private check(): void {
    if (this.closed) throw new ClosedError(`cowdb: ${this.name} is closed`)
  }
}
