// A BlockFile on an OPFS FileSystemSyncAccessHandle (dedicated workers only). All calls are
// synchronous, which is what lets the engine's page I/O be synchronous in the browser too.

import { QuotaExceededError, type BlockFile } from '@cowdb/core'

export class OpfsBlockFile implements BlockFile {
  constructor(
    private readonly handle: FileSystemSyncAccessHandle,
    readonly name: string,
  ) {}

  /** Reads up to `into.length` bytes at `offset`; returns how many. Cost: one synchronous handle read. */
  read(offset: number, into: Uint8Array): number {
    return this.handle.read(into, { at: offset })
  }

  /** Writes `data` at `offset` (durable at flush()); a full quota is QuotaExceededError. Cost: one synchronous handle write. */
  write(offset: number, data: Uint8Array): void {
    try {
      let done = 0
      while (done < data.length) done += this.handle.write(data.subarray(done), { at: offset + done })
    } catch (e) {
      throw mapQuota(e, this.name)
    }
  }

  /** Makes the writes so far durable: the engine's durability point. Cost: one handle flush (the device's). */
  flush(): void {
    this.handle.flush()
  }

  /** The file's length in bytes. Cost: one getSize(). */
  size(): number {
    return this.handle.getSize()
  }

  /** Cuts or extends the file to `size` bytes. Cost: one handle truncate. */
  truncate(size: number): void {
    try {
      this.handle.truncate(size)
    } catch (e) {
      throw mapQuota(e, this.name)
    }
  }

  /** Releases the sync access handle (another tab's worker can then open the file). Cost: one handle close. */
  close(): void {
    this.handle.close()
  }
}

/** A DOMException QuotaExceededError becomes cowdb's QuotaExceededError (same name, typed). */
export function mapQuota(e: unknown, what: string): unknown {
  if (e instanceof DOMException && e.name === 'QuotaExceededError') {
    return new QuotaExceededError(`cowdb: storage is full while writing ${what}; nothing committed is lost (${e.message})`)
  }
  return e
}
