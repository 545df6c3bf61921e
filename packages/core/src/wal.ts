// The write-ahead log: a commit appends its logical operations and flushes; that is the
// durability point. A checkpoint moves the head root past the log, then the log restarts at
// offset 0. Record layout (big-endian):
//
//   body length u32 | checksum u32 | lsn f64 | type u8 | body
//
// The checksum is xxHash32 over lsn, type and body. Replay starts at offset 0 and accepts a
// record only if its checksum holds and its lsn is exactly the next one expected (starting at
// the checkpoint's lsn): a torn tail, garbage, or a stale record from an earlier cycle (whose
// lsn is lower) all end the replay.

import { checksum32 } from './checksum.js'
import type { BlockFile } from './store.js'

export const enum RecordType {
  Commit = 1,
  Snapshot = 2,
  DropSnapshot = 3,
  Restore = 4,
}

const HEADER = 17
const SEED = 0x57a1

export type ReplayResult = { records: number; tornTail: boolean; bytes: number }

export class Wal {
  /** Where the next record goes. */
  offset = 0
  /** Lsn of the next record. */
  lsn = 0
  private buffered: Uint8Array[] = []
  private bufferedBytes = 0
  private bufferedRecords = 0

  constructor(readonly file: BlockFile) {}

  /** Stages one record; it is durable after the next `flush()`. Cost: O(body). */
  append(type: RecordType, body: Uint8Array): void {
    const rec = new Uint8Array(HEADER + body.length)
    const dv = new DataView(rec.buffer)
    dv.setUint32(0, body.length)
    dv.setFloat64(8, this.lsn + this.bufferedRecords)
    dv.setUint8(16, type)
    rec.set(body, HEADER)
    dv.setUint32(4, checksum32(rec.subarray(8), SEED))
    this.buffered.push(rec)
    this.bufferedBytes += rec.length
    this.bufferedRecords++
  }

  /** Records staged and not yet flushed. */
  get pending(): number {
    return this.bufferedRecords
  }

  /**
   * Writes every staged record in one write and flushes the file. On failure nothing staged
   * counts (the next append overwrites whatever part reached the file) and the error is thrown.
   * Cost: one write, one flush.
   */
  flush(): void {
    if (this.bufferedRecords === 0) return
    const all = new Uint8Array(this.bufferedBytes)
    let at = 0
    for (const r of this.buffered) {
      all.set(r, at)
      at += r.length
    }
    const records = this.bufferedRecords
    this.discard()
    this.file.write(this.offset, all)
    this.file.flush()
    this.offset += all.length
    this.lsn += records
  }

  /** Drops staged records (their commit failed). */
  discard(): void {
    this.buffered = []
    this.bufferedBytes = 0
    this.bufferedRecords = 0
  }

  /** After a checkpoint covering everything up to `lsn`: the next record goes to offset 0. */
  restart(): void {
    this.offset = 0
    // Give back space when the log grew large; the lsn check makes stale records harmless anyway.
    if (this.file.size() > 64 * 1024 * 1024) this.file.truncate(0)
  }

  /**
   * Replays records from offset 0 whose lsn continues from `fromLsn`, calling `visit` for each,
   * and positions the log after the last good one. Cost: reads the whole file once.
   */
  replay(fromLsn: number, visit: (type: RecordType, body: Uint8Array, lsn: number) => void): ReplayResult {
    const size = this.file.size()
    const data = new Uint8Array(size)
    if (size) this.file.read(0, data)
    const dv = new DataView(data.buffer)
    let at = 0
    let lsn = fromLsn
    let records = 0
    let tornTail = false
    while (at + HEADER <= size) {
      const len = dv.getUint32(at)
      // A record that is ours but broken (header names the next lsn; body short or bad) is a
      // torn tail; anything else that fails is stale or garbage from before, a clean end.
      const ours = dv.getFloat64(at + 8) === lsn
      if (at + HEADER + len > size) {
        tornTail = ours
        break
      }
      if (checksum32(data.subarray(at + 8, at + HEADER + len), SEED) !== dv.getUint32(at + 4)) {
        tornTail = ours
        break
      }
      if (!ours) break
      visit(dv.getUint8(at + 16) as RecordType, data.subarray(at + HEADER, at + HEADER + len), lsn)
      records++
      lsn++
      at += HEADER + len
    }
    this.offset = at
    this.lsn = lsn
    return { records, tornTail, bytes: at }
  }
}
