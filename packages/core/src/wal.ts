// The write-ahead log: a commit appends its logical operations and flushes; that is the
// durability point. A checkpoint moves the head root past the log, then the log restarts at
// offset 0. Record layout (big-endian):
//
//   body length u32 | checksum u32 | lsn f64 | type u8 | attempt u32 | body
//
// `attempt` numbers flush attempts (random start), so records written again after a failed
// flush never equal the failed ones byte for byte, and the chain behind them breaks.
// The checksum is xxHash32 over lsn, type and body, seeded with the previous record's checksum
// (the first record of a cycle: the cycle's salt, kept in the Meta). Replay starts at offset 0
// and accepts a record only if its chained checksum holds and its lsn is exactly the next one
// expected: a torn tail, garbage, a stale record from an earlier cycle, or a record left behind
// by a failed flush and then overwritten before it (the chain breaks) all end the replay.

import { checksum32 } from './checksum.js'
import type { BlockFile } from './store.js'

const HEADER = 21

export type ReplayResult = { records: number; tornTail: boolean; bytes: number }

export class Wal {
  /** Where the next record goes. */
  offset = 0
  /** Lsn of the next record. */
  lsn = 0
  private buffered: Uint8Array[] = []
  private bufferedBytes = 0
  private bufferedRecords = 0
  /** Checksum of the last durable record (the chain), or the cycle's salt. */
  private chain = 0
  private pendingChain = 0
  private attempt = (Math.random() * 2 ** 32) >>> 0

  constructor(readonly file: BlockFile) {}

  /** Stages one record; it is durable after the next `flush()`. Cost: O(body). */
  append(type: number, body: Uint8Array): void {
    const rec = new Uint8Array(HEADER + body.length)
    const dv = new DataView(rec.buffer)
    dv.setUint32(0, body.length)
    dv.setFloat64(8, this.lsn + this.bufferedRecords)
    dv.setUint8(16, type)
    dv.setUint32(17, this.attempt)
    rec.set(body, HEADER)
    const prev = this.bufferedRecords ? this.pendingChain : this.chain
    this.pendingChain = checksum32(rec.subarray(8), prev)
    dv.setUint32(4, this.pendingChain)
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
    const last = this.pendingChain
    this.discard()
    this.attempt = (this.attempt + 1) >>> 0
    this.file.write(this.offset, all)
    this.file.flush()
    this.offset += all.length
    this.lsn += records
    this.chain = last
  }

  /**
   * After a failed flush: cuts the file back to the end of the durable records, so that no part
   * of the failed write can be replayed, and makes that durable. Throws if it cannot.
   * Cost: one truncate, one flush.
   */
  cutBack(): void {
    this.file.truncate(this.offset)
    this.file.flush()
  }

  /** Drops staged records (their commit failed); records staged later differ from them. */
  discard(): void {
    if (this.bufferedRecords) this.attempt = (this.attempt + 1) >>> 0
    this.buffered = []
    this.bufferedBytes = 0
    this.bufferedRecords = 0
  }

  /** Cuts the file at the end of the live records (what follows is stale anyway). */
  shrink(): void {
    if (this.file.size() > this.offset) this.file.truncate(this.offset)
  }

  /** After a checkpoint covering everything so far: a new cycle with `salt` starts at offset 0; the file keeps at most `sizeLimit` bytes. */
  restart(salt: number, sizeLimit = Infinity): void {
    this.offset = 0
    this.chain = salt
    // Give space back past the limit (as SQLite's journal_size_limit); the records left are of
    // the old cycle, which the new salt and lsn make unreplayable anyway.
    if (this.file.size() > sizeLimit) this.file.truncate(sizeLimit)
  }

  /** At close, after a checkpoint that covers every record: the file is emptied. Cost: one truncate. */
  empty(): void {
    this.offset = 0
    this.file.truncate(0)
    this.file.flush()
  }

  /**
   * Replays records from offset 0 whose lsn continues from `fromLsn`, calling `visit` for each,
   * and positions the log after the last good one. Cost: reads the whole file once.
   */
  replay(fromLsn: number, salt: number, visit: (type: number, body: Uint8Array, lsn: number) => void): ReplayResult {
    const size = this.file.size()
    const data = new Uint8Array(size)
    if (size) this.file.read(0, data)
    const dv = new DataView(data.buffer)
    let at = 0
    let lsn = fromLsn
    let records = 0
    let tornTail = false
    let chain = salt
    while (at + HEADER <= size) {
      const len = dv.getUint32(at)
      // A record that is ours but broken (header names the next lsn; body short or bad) is a
      // torn tail; anything else that fails is stale or garbage from before, a clean end.
      const ours = dv.getFloat64(at + 8) === lsn
      if (at + HEADER + len > size) {
        tornTail = ours
        break
      }
      const sum = checksum32(data.subarray(at + 8, at + HEADER + len), chain)
      if (sum !== dv.getUint32(at + 4)) {
        tornTail = ours
        break
      }
      if (!ours) break
      visit(dv.getUint8(at + 16), data.subarray(at + HEADER, at + HEADER + len), lsn)
      records++
      lsn++
      chain = sum
      at += HEADER + len
    }
    this.offset = at
    this.lsn = lsn
    this.chain = chain
    return { records, tornTail, bytes: at }
  }
}
