// Backups: full and incremental export/import between stores, against the source's snapshots;
// damaged input is rejected before anything changes.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { readBackup } from './backup.js'
import { Database, type DatabaseOptions } from './database.js'
import { CorruptionError, SnapshotNotFoundError } from './errors.js'
import { MemoryStorage } from './memory-store.js'
import type { Progress } from './types.js'

const SEED = Number(process.env.COWDB_SEED ?? 20261125)
const RUNS = Number(process.env.COWDB_RUNS ?? 30)
const quiet: DatabaseOptions = { checkpointDelayMs: 0, pageSize: 512 }
const fresh = () => Database.open(new MemoryStorage(), quiet)
const contents = async (db: Database, snapshot?: string) => JSON.stringify(await db.scan({ limit: 1e9, snapshot }))

describe('backups', () => {
  it('a full backup, then incremental ones, rebuild the source in another store', async () => {
    const src = await fresh()
    await src.batch(Array.from({ length: 3000 }, (_, i) => ({ type: 'put' as const, key: i, value: { n: i } })))
    await src.put('big', 'x'.repeat(5000)) // an overflow value
    const progress: Progress[] = []
    const full = await src.exportBackup({ keepSnapshot: true, onProgress: (p) => progress.push(p) })
    expect(progress.at(-1)).toEqual({ phase: 'export', done: 3001, total: 3001 })
    const base = (await src.snapshots()).at(-1)!
    expect(base.label).toBe('backup')

    await src.put(5, 'changed')
    await src.delete(6)
    await src.deleteRange({ gte: 100, lt: 200 })
    await src.put('big', 'y'.repeat(6000))
    const inc = await src.exportBackup({ since: base.id })
    expect(readBackup(inc).header).toMatchObject({ since: base.id, entries: 103 })
    expect(inc.length).toBeLessThan(full.length / 5)

    const dst = await fresh()
    await dst.put('stale', 'replaced by a full import')
    await dst.importBackup(full)
    expect(await contents(dst)).toBe(await contents(src, base.id))
    await dst.importBackup(inc)
    expect(await contents(dst)).toBe(await contents(src))
    expect((await dst.snapshots()).map((s) => s.label)).toEqual([`backup:${base.id}`, `backup:${readBackup(inc).header.snapshot}`])
    expect((await dst.verify()).ok).toBe(true)
    await src.close()
    await dst.close()
  })

  it('a backup of the head leaves no snapshot behind unless asked, and exports the state it began on', async () => {
    const src = await fresh()
    for (let i = 0; i < 100; i++) await src.put(i, i)
    const exporting = src.exportBackup()
    await src.put(1000, 'after the export began')
    const backup = await exporting
    expect(await src.snapshots()).toEqual([])
    const dst = await fresh()
    await dst.importBackup(backup)
    expect(await dst.count()).toBe(100)
    await src.close()
    await dst.close()
  })

  it('rejects damaged, truncated, foreign and out-of-order backups and changes nothing', async () => {
    const src = await fresh()
    for (let i = 0; i < 200; i++) await src.put(i, i)
    const full = await src.exportBackup({ keepSnapshot: true })
    const s1 = (await src.snapshots()).at(-1)!.id
    await src.put(1, 'one')
    const inc = await src.exportBackup({ since: s1 })

    const dst = await fresh()
    await dst.put('mine', 1)
    const before = await contents(dst)
    const flipped = full.slice()
    flipped[Math.floor(flipped.length / 2)]! ^= 0x10
    await expect(dst.importBackup(flipped)).rejects.toThrow(CorruptionError)
    await expect(dst.importBackup(full.subarray(0, full.length - 9))).rejects.toThrow(CorruptionError)
    await expect(dst.importBackup(new TextEncoder().encode('{"not":"a backup"}'))).rejects.toThrow(TypeError)
    await expect(dst.importBackup('nope' as never)).rejects.toThrow(TypeError)
    await expect(dst.importBackup(inc)).rejects.toThrow(SnapshotNotFoundError)
    await expect(src.exportBackup({ since: 'no-such-snapshot' })).rejects.toThrow(SnapshotNotFoundError)
    expect(await contents(dst)).toBe(before)
    await dst.put('still', 'usable')
    expect(await dst.get('still')).toBe('usable')
    await src.close()
    await dst.close()
  })

  it(`full(a) + incremental(a to b) gives snapshot b, for random histories (seed ${SEED})`, async () => {
    const op = fc.oneof(
      fc.record({ t: fc.constant('put' as const), k: fc.integer({ min: 0, max: 300 }), v: fc.oneof(fc.integer(), fc.string({ maxLength: 700 })) }),
      fc.record({ t: fc.constant('del' as const), k: fc.integer({ min: 0, max: 300 }) }),
      fc.record({ t: fc.constant('range' as const), k: fc.integer({ min: 0, max: 300 }), n: fc.integer({ min: 1, max: 50 }) }),
      fc.constant({ t: 'snap' as const }),
    )
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 80 }), fc.nat(), fc.nat(), async (ops, i, j) => {
        const src = await fresh()
        const snaps = [(await src.snapshot()).id]
        for (const o of ops) {
          if (o.t === 'put') await src.put(o.k, o.v)
          else if (o.t === 'del') await src.delete(o.k)
          else if (o.t === 'range') await src.deleteRange({ gte: o.k, lt: o.k + o.n })
          else snaps.push((await src.snapshot()).id)
        }
        snaps.push((await src.snapshot()).id)
        const a = snaps[i % snaps.length]!
        const b = snaps[j % snaps.length]!
        const dst = await fresh()
        await dst.importBackup(await src.exportBackup({ snapshot: a }))
        await dst.importBackup(await src.exportBackup({ snapshot: b, since: a }))
        expect(await contents(dst)).toBe(await contents(src, b))
        await src.close()
        await dst.close()
      }),
      { seed: SEED, numRuns: RUNS },
    )
  })
})
