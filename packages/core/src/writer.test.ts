// The commit path's promises, each as a regression test of a failure found by hand:
// a rejected write leaves no trace (head, count, subscribers, checkpoints, reopen), a failure
// after the durability point never undoes a resolved write, and background failures surface.
import { describe, expect, it } from 'vitest'
import { Database, type DatabaseOptions } from './database.js'
import { CorruptionError, IOError, isStopped } from './errors.js'
import type { PageInfo } from './inspect.js'
import { MemoryStorage } from './memory-store.js'
import type { ChangeEvent } from './subscriptions.js'

const opts: DatabaseOptions = { pageSize: 512, checkpointDelayMs: 0 }
const key = (i: number) => `k${String(i).padStart(3, '0')}`
const settle = () => new Promise((r) => setTimeout(r, 0))

/** A store of 300 keys whose leaf holding key(250) is damaged on disk; opened afresh (nothing cached). */
async function damagedStore(extra: DatabaseOptions = {}) {
  const storage = new MemoryStorage()
  const db = await Database.open(storage, opts)
  await db.batch(Array.from({ length: 300 }, (_, i) => ({ type: 'put' as const, key: key(i), value: `v${i}` })))
  await db.close()
  const check = await Database.open(storage.reopen(), opts)
  const leaves: PageInfo[] = []
  const visit = (p: PageInfo) => (p.leaf ? leaves.push(p) : p.children?.forEach(visit))
  visit((await check.inspect({ maxPages: 1000 }))!)
  await check.close()
  const leaf = leaves.find((p) => (p.first as string) <= key(250) && key(250) <= (p.last as string))!
  expect(leaf.first).not.toBe(key(0)) // the damage is away from key(0)'s leaf
  storage.pages.bytes()[leaf.slot * 512 + 100]! ^= 0xff
  return { storage, db: await Database.open(storage.reopen(), { ...opts, ...extra }) }
}

describe('a rejected write leaves no trace', () => {
  it('a batch failing on a damaged page in the same tick as a put: the put stays, nothing of the batch does', async () => {
    const { storage, db } = await damagedStore()
    const [a, batch] = await Promise.allSettled([
      db.put(key(0), 'a'),
      db.batch([{ type: 'put', key: key(1), value: 'b' }, { type: 'put', key: key(250), value: 'on the damaged page' }]),
    ])
    expect(a.status).toBe('fulfilled')
    expect(batch.status === 'rejected' && batch.reason).toBeInstanceOf(CorruptionError)
    expect(await db.get(key(0))).toBe('a')
    expect(await db.get(key(1))).toBe('v1')
    await db.checkpoint()
    await db.close()
    const again = await Database.open(storage.reopen(), opts)
    expect(await again.get(key(0))).toBe('a')
    expect(await again.get(key(1))).toBe('v1')
    await again.close()
  })

  it('with a subscriber, a write whose lookup hits a damaged page rejects and changes no count, no event, no checkpoint', async () => {
    const { storage, db } = await damagedStore()
    const events: ChangeEvent[] = []
    await db.subscribe({}, (e) => events.push(e))
    const outside = { gte: 'l' } // every key but the k... ones, whose damaged leaf count() would read
    const results = await Promise.allSettled([db.put('new key', 1), db.put(key(250), 'x'), db.put('other', 2)])
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled'])
    expect(await db.count(outside)).toBe(2)
    expect(await db.get(key(5))).toBe('v5')
    await settle()
    expect(events.flatMap((e) => e.changes.map((c) => c.key))).toEqual(['new key', 'other'])
    await db.checkpoint()
    await db.close()
    const again = await Database.open(storage.reopen(), opts)
    expect(await again.count(outside)).toBe(2)
    await again.close()
  })
})

describe('after the durability point', () => {
  it('failing background checkpoints are retried, counted and surfaced; writes go on and nothing is lost', async () => {
    const storage = new MemoryStorage()
    let failing = true
    const save = storage.meta.save.bind(storage.meta)
    const db = await Database.open(storage, { ...opts, walCheckpointBytes: 256 })
    storage.meta.save = async (m) => {
      if (failing) throw new IOError('injected: the snapshot table is unavailable')
      return save(m)
    }
    const errors: Error[] = []
    db.addEventListener('error', (e) => errors.push((e as unknown as { error: Error }).error))
    for (let i = 0; i < 20; i++) await db.put(key(i), 'x'.repeat(40)) // each flush passes the WAL threshold
    // retries back off 100, 200, 400, 800 ms: wait for the fifth failure, however slow the machine
    while (((await db.stats()).backgroundErrors as number) < 5) await new Promise((r) => setTimeout(r, 50))
    expect(errors.length).toBe(1)
    expect(errors[0]).toBeInstanceOf(IOError)
    expect(await db.metrics()).toMatch(/cow_background_errors_total [1-9]/)
    failing = false
    await db.put('after', 1) // the retry timer (or close) checkpoints now
    await db.close()
    const again = await Database.open(storage.reopen(), opts)
    expect(await again.count()).toBe(21)
    await again.close()
  })

  it('where a failed Meta save may have persisted, the previous Meta is saved again; if that fails, writes stop', async () => {
    const storage = new MemoryStorage()
    const db = await Database.open(storage, opts)
    await db.put('a', 1)
    const save = storage.meta.save.bind(storage.meta)
    Object.assign(storage.meta, { failedSaveMayPersist: true })
    const saved: unknown[] = []
    let failures = 1
    storage.meta.save = async (m) => {
      await save(m) // it reached storage...
      saved.push(m)
      if (failures-- > 0) throw new IOError('injected: fsync failed') // ...and still failed
    }
    await expect(db.checkpoint()).rejects.toThrow(/fsync failed/)
    expect(saved).toHaveLength(2) // the failed one, then the previous one again
    await db.put('b', 2) // writes go on
    failures = 2
    await expect(db.checkpoint()).rejects.toSatisfy(isStopped)
    await expect(db.put('c', 3)).rejects.toSatisfy(isStopped)
    await db.close().catch(() => {})
    const again = await Database.open(storage.reopen(), opts)
    expect(await again.getMany(['a', 'b', 'c'])).toEqual([1, 2, undefined])
    await again.close()
  })

  it('when the log cannot be cut back after a failed flush, writes stop with an error that says the outcome is unknown', async () => {
    const storage = new MemoryStorage()
    const db = await Database.open(storage, opts)
    await db.put('kept', 1)
    const flush = storage.wal.flush.bind(storage.wal)
    const truncate = storage.wal.truncate.bind(storage.wal)
    storage.wal.flush = () => {
      throw new IOError('injected flush failure')
    }
    storage.wal.truncate = () => {
      throw new IOError('injected truncate failure')
    }
    const errors: Error[] = []
    db.addEventListener('error', (e) => errors.push((e as unknown as { error: Error }).error))
    const failed = await db.put('unknown', 2).catch((e: unknown) => e)
    expect(isStopped(failed)).toBe(true)
    expect(String(failed)).toMatch(/may or may not/)
    expect(errors).toEqual([failed])
    storage.wal.flush = flush
    storage.wal.truncate = truncate
    await expect(db.put('later', 3)).rejects.toBe(failed)
    expect(await db.get('kept')).toBe(1) // reads go on
    await db.close()
    const again = await Database.open(storage.reopen(), opts)
    expect(await again.get('kept')).toBe(1)
    expect(await again.get('later')).toBeUndefined()
    await again.put('later', 3) // a reopen recovers
    expect(await again.get('later')).toBe(3)
    await again.close()
  })
})
