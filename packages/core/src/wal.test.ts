import { describe, expect, it } from 'vitest'
import { MemoryBlockFile } from './memory-store.js'
import { RecordType } from './records.js'
import { Wal } from './wal.js'

const body = (n: number) => new Uint8Array(n).map((_, i) => (i * 31 + n) & 255)

function collect(wal: Wal, from: number, salt = 0) {
  const got: { lsn: number; len: number }[] = []
  const res = wal.replay(from, salt, (_t, b, lsn) => got.push({ lsn, len: b.length }))
  return { got, res }
}

describe('Wal', () => {
  it('replays flushed records in order and positions after them', () => {
    const file = new MemoryBlockFile()
    const wal = new Wal(file)
    for (const n of [3, 100, 0, 5000]) wal.append(RecordType.Commit, body(n))
    wal.flush()
    const again = new Wal(file)
    const { got, res } = collect(again, 0)
    expect(got).toEqual([0, 1, 2, 3].map((lsn, i) => ({ lsn, len: [3, 100, 0, 5000][i] })))
    expect(res).toMatchObject({ records: 4, tornTail: false })
    expect(again.offset).toBe(wal.offset)
    expect(again.lsn).toBe(4)
  })

  it('cuts a torn tail at every possible tear point, keeping whole records', () => {
    const file = new MemoryBlockFile()
    const wal = new Wal(file)
    wal.append(RecordType.Commit, body(40))
    wal.flush()
    const good = file.size()
    wal.append(RecordType.Commit, body(60))
    wal.flush()
    const full = file.bytes().slice()
    for (let cut = good + 1; cut < full.length; cut++) {
      const f = new MemoryBlockFile()
      f.write(0, full.subarray(0, cut))
      const { got, res } = collect(new Wal(f), 0)
      expect(got.map((g) => g.lsn)).toEqual([0])
      // once the header is whole, the tear is recognised as our own torn record
      if (cut >= good + 21) expect(res.tornTail).toBe(true)
    }
  })

  it('stops at a flipped bit and never returns the damaged record', () => {
    const file = new MemoryBlockFile()
    const wal = new Wal(file)
    for (let i = 0; i < 3; i++) wal.append(RecordType.Commit, body(20))
    wal.flush()
    const bytes = file.bytes()
    const second = 21 + 20
    bytes[second + 21 + 5]! ^= 0x10
    const { got } = collect(new Wal(file), 0)
    expect(got.map((g) => g.lsn)).toEqual([0])
  })

  it('ignores stale records from before a checkpoint after the log restarts', () => {
    const file = new MemoryBlockFile()
    const wal = new Wal(file)
    for (let i = 0; i < 5; i++) wal.append(RecordType.Commit, body(10))
    wal.flush()
    // checkpoint at lsn 5: the log restarts at offset 0 with lsn 5 and a new salt
    wal.restart(99)
    wal.append(RecordType.Commit, body(3))
    wal.flush()
    const { got, res } = collect(new Wal(file), 5, 99)
    expect(got).toEqual([{ lsn: 5, len: 3 }])
    expect(res.tornTail).toBe(false)
    // and with nothing new since the checkpoint, nothing replays
    const f2 = new MemoryBlockFile()
    const w2 = new Wal(f2)
    w2.append(RecordType.Commit, body(10))
    w2.flush()
    expect(collect(new Wal(f2), 1).got).toEqual([])
  })

  it('records left by a failed flush are not replayed once a shorter record overwrites their start', () => {
    const file = new MemoryBlockFile()
    const wal = new Wal(file)
    const flush = file.flush.bind(file)
    file.flush = () => {
      throw new Error('fsync failed') // the bytes reached the file, the flush reports failure
    }
    wal.append(RecordType.Commit, body(10))
    wal.append(RecordType.Commit, body(10))
    expect(() => wal.flush()).toThrow('fsync failed')
    file.flush = flush
    wal.append(RecordType.Commit, body(10)) // same length and lsn as the first failed one
    wal.flush()
    expect(collect(new Wal(file), 0).got).toEqual([{ lsn: 0, len: 10 }])
  })

  it('a failed flush leaves nothing behind that replay would accept', () => {
    const file = new MemoryBlockFile()
    const wal = new Wal(file)
    wal.append(RecordType.Commit, body(8))
    wal.flush()
    const orig = file.write.bind(file)
    file.write = () => {
      throw new Error('disk on fire')
    }
    wal.append(RecordType.Commit, body(8))
    expect(() => wal.flush()).toThrow('disk on fire')
    file.write = orig
    wal.append(RecordType.Commit, body(9))
    wal.flush()
    const { got } = collect(new Wal(file), 0)
    expect(got).toEqual([
      { lsn: 0, len: 8 },
      { lsn: 1, len: 9 },
    ])
  })
})
