import type { BlockFile, Meta, MetaStore, Storage } from './store.js'

/** A BlockFile in memory. `bytes()` exposes the contents for tests. Nothing is lost at flush or close: it lives as long as the object. */
export class MemoryBlockFile implements BlockFile {
  private buf = new Uint8Array(0)
  private len = 0
  private closed = false

  /** Copies up to `into.length` bytes at `offset` into `into`; returns how many (short at the end). Cost: O(bytes read). */
  read(offset: number, into: Uint8Array): number {
    this.check()
    const n = Math.max(0, Math.min(into.length, this.len - offset))
    into.set(this.buf.subarray(offset, offset + n))
    return n
  }
  /** Copies `data` in at `offset`, growing the buffer (at least doubling it) when it does not fit. Cost: O(bytes) amortized. */
  write(offset: number, data: Uint8Array): void {
    this.check()
    const end = offset + data.length
    if (end > this.buf.length) {
      const grown = new Uint8Array(Math.max(end, this.buf.length * 2, 64 * 1024))
      grown.set(this.buf.subarray(0, this.len))
      this.buf = grown
    }
    this.buf.set(data, offset)
    if (end > this.len) this.len = end
  }
  /** Nothing to make durable in memory; throws if closed, as a real file would. Cost: O(1). */
  flush(): void {
    this.check()
  }
  /** Current length in bytes. Cost: O(1). */
  size(): number {
    return this.len
  }
  /** Sets the length: zeroes what it cuts, or extends with zeros. Cost: O(bytes cut or added). */
  truncate(size: number): void {
    this.check()
    // Bytes past the end are kept zero, so that a later write past a gap reads zeros in the
    // gap, as a real file does after a truncate.
    if (size < this.len) this.buf.fill(0, size, this.len)
    else if (size > this.buf.length) this.write(this.len, new Uint8Array(size - this.len))
    this.len = size
  }
  /** Makes further reads and writes throw until reopen(); the contents stay. Cost: O(1). */
  close(): void {
    this.closed = true
  }
  /** Reopens after close (a memory file outlives its handle, as a real file does). Cost: O(1). */
  reopen(): this {
    this.closed = false
    return this
  }
  /** The file's current contents (a live view; copy it to keep it). Cost: O(1). */
  bytes(): Uint8Array {
    return this.buf.subarray(0, this.len)
  }
  private check() {
    if (this.closed) throw new Error('MemoryBlockFile: closed')
  }
}

/** A MetaStore in memory; `save` deep-copies so later changes cannot leak in. */
export class MemoryMetaStore implements MetaStore {
  meta: Meta | undefined
  /** A deep copy of the Meta saved last, or undefined before the first save. Cost: O(Meta size). */
  async load(): Promise<Meta | undefined> {
    return this.meta && structuredClone(this.meta)
  }
  /** Keeps a deep copy of `meta`: atomic, and durable for as long as the object lives. Cost: O(Meta size). */
  async save(meta: Meta): Promise<void> {
    this.meta = structuredClone(meta)
  }
  /** Nothing to release; the Meta stays for a reopen. Cost: O(1). */
  async close(): Promise<void> {}
}

/**
 * Storage held in memory. Pass the same object to `Database.open` again to "reopen" it, as a
 * restart would find the files.
 */
export class MemoryStorage implements Storage {
  pages = new MemoryBlockFile()
  wal = new MemoryBlockFile()
  meta = new MemoryMetaStore()
  /** Reopens the files after a close, as a process restart would find them. Cost: O(1). */
  reopen(): this {
    this.pages.reopen()
    this.wal.reopen()
    return this
  }
}
