// A sync file in memory for the call record's tests, whose owner can be made to die mid-write.
import type { SyncFile } from '../src/sync-file.js'

export class Died extends Error {}

/** A file in memory; `writesLeft` counts down, and the write that reaches 0 keeps only a prefix and kills the owner. */
export class MemFile implements SyncFile {
  bytes = new Uint8Array(0)
  constructor(private readonly power: { writesLeft: number; cut: number }) {}
  read(buffer: Uint8Array, { at }: { at: number }): number {
    const n = Math.max(0, Math.min(buffer.length, this.bytes.length - at))
    buffer.set(this.bytes.subarray(at, at + n))
    return n
  }
  write(buffer: Uint8Array, { at }: { at: number }): number {
    if (this.power.writesLeft <= 0) throw new Died()
    const keep = --this.power.writesLeft === 0 ? Math.floor(buffer.length * this.power.cut) : buffer.length
    if (at + keep > this.bytes.length) {
      const grown = new Uint8Array(at + keep)
      grown.set(this.bytes)
      this.bytes = grown
    }
    this.bytes.set(buffer.subarray(0, keep), at)
    if (keep < buffer.length) throw new Died()
    return keep
  }
  truncate(size: number): void {
    if (this.power.writesLeft <= 0) throw new Died()
    this.bytes = this.bytes.slice(0, size)
  }
  getSize(): number {
    return this.bytes.length
  }
  close(): void {}
}

