// A BlockFile on a Node file descriptor, with synchronous fs calls (the engine's page I/O is
// synchronous everywhere). flush() is fdatasync: the durability point.

import { closeSync, fdatasyncSync, fstatSync, ftruncateSync, openSync, readSync, writeSync } from 'node:fs'
import { IOError, QuotaExceededError, type BlockFile } from '@cowdb/core'

export class FileBlockFile implements BlockFile {
  private fd: number

  /** Opens (creating if missing) `path` for reading and writing. */
  constructor(readonly path: string) {
    this.fd = this.io('open', () => openSync(path, 'a+'))
    this.io('open', () => closeSync(this.fd))
    this.fd = this.io('open', () => openSync(path, 'r+'))
  }

  /** Reads up to `into.length` bytes at `offset`; returns how many (fewer at the end of the file). Cost: one pread, more only for a short read. */
  read(offset: number, into: Uint8Array): number {
    let done = 0
    while (done < into.length) {
      const n = this.io('read', () => readSync(this.fd, into, done, into.length - done, offset + done))
      if (n === 0) break
      done += n
    }
    return done
  }

  /** Writes `data` at `offset` (not durable until flush()). Cost: one pwrite, more only for a short write. */
  write(offset: number, data: Uint8Array): void {
    let done = 0
    while (done < data.length) done += this.io('write', () => writeSync(this.fd, data, done, data.length - done, offset + done))
  }

  /** Makes every write so far durable: the engine's durability point. Cost: one fdatasync (the disk's flush latency). */
  flush(): void {
    this.io('flush', () => fdatasyncSync(this.fd))
  }

  /** The file's length in bytes. Cost: one fstat. */
  size(): number {
    return this.io('stat', () => fstatSync(this.fd).size)
  }

  /** Cuts or extends the file to `size` bytes (extended bytes read as zeros). Cost: one ftruncate. */
  truncate(size: number): void {
    this.io('truncate', () => ftruncateSync(this.fd, size))
  }

  /** Closes the descriptor; a second close does nothing. Cost: one close. */
  close(): void {
    if (this.fd < 0) return
    const fd = this.fd
    this.fd = -1
    this.io('close', () => closeSync(fd))
  }

  private io<T>(what: string, fn: () => T): T {
    try {
      return fn()
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code
      if (code === 'ENOSPC' || code === 'EDQUOT') {
        throw new QuotaExceededError(`cowdb: disk full while writing ${this.path}; nothing committed is lost`)
      }
      throw new IOError(`cowdb: ${what} ${this.path} failed: ${(e as Error).message}`, { cause: e })
    }
  }
}
