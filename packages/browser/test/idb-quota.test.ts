// A full origin on the IndexedDB page store: the write whose batch IndexedDB refuses rejects with
// cowdb's typed QuotaExceededError, nothing acknowledged is lost, and the database stays usable.
import 'fake-indexeddb/auto'
import { describe, expect, it } from 'vitest'
import { QuotaExceededError } from '@cowdb/core'
import { openEngine } from '../src/engine.js'

describe('IndexedDB page store when the origin is full', () => {
  it('rejects the refused write with QuotaExceededError, keeps every acknowledged one, goes on', async () => {
    let full = false
    const io = async (write: () => Promise<void>) => {
      if (full) throw new DOMException('the origin is out of space', 'QuotaExceededError')
      await write()
    }
    const db = await openEngine('quota', { store: 'indexeddb', checkpointDelayMs: 0 }, { idb: { io } })
    await db.batch(Array.from({ length: 200 }, (_, i) => ({ type: 'put' as const, key: i, value: `v${i}` })))
    full = true
    const refused = await db.put('big', 'x'.repeat(10_000)).then(() => undefined, (e: unknown) => e)
    expect(refused).toBeInstanceOf(QuotaExceededError)
    full = false
    // usable again: what IndexedDB holds, i.e. the acknowledged writes only
    expect(await db.get('big')).toBeUndefined()
    expect(await db.count()).toBe(200)
    await db.put('after', 1)
    await db.close()
    const again = await openEngine('quota', { store: 'indexeddb' })
    expect([await again.count(), await again.get('after'), await again.get(199)]).toEqual([201, 1, 'v199'])
    expect((await again.verify()).errors).toEqual([])
    await again.close()
  })
})
