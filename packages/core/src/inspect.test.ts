// inspect(): the page tree of a head or snapshot. After one put, head and snapshot differ in
// exactly the pages on one root-to-leaf path; every other page is the same page (same id).
import { describe, expect, it } from 'vitest'
import { Database } from './database.js'
import type { PageInfo } from './inspect.js'
import { MemoryStorage } from './memory-store.js'

const all = (p: PageInfo | null): PageInfo[] => (p ? [p, ...(p.children ?? []).flatMap(all)] : [])

describe('inspect', () => {
  it('shows one copied path after a put, everything else shared, and counts every entry', async () => {
    const db = await Database.open(new MemoryStorage(), { pageSize: 512, checkpointDelayMs: 0 })
    await db.batch(Array.from({ length: 2000 }, (_, i) => ({ type: 'put' as const, key: i, value: `v${i}` })))
    await db.checkpoint()
    const snap = await db.snapshot()
    await db.put(1234, 'changed')
    const head = all(await db.inspect({ maxPages: 10_000 }))
    const old = all(await db.inspect({ snapshot: snap.id, maxPages: 10_000 }))
    const oldIds = new Set(old.map((p) => p.id))
    const copied = head.filter((p) => !oldIds.has(p.id))
    let height = 0
    for (let p = head[0]; p && !p.leaf; p = p.children![0]) height++
    expect(height).toBeGreaterThan(1)
    expect(copied).toHaveLength(height + 1) // the root-to-leaf path of key 1234
    const leaf = copied.find((p) => p.leaf)!
    expect((leaf.first as number) <= 1234 && 1234 <= (leaf.last as number)).toBe(true)
    expect(copied.every((p) => p.slot === -1)).toBe(true) // not written until the next checkpoint
    expect(head.filter((p) => p.leaf).reduce((n, p) => n + p.entries, 0)).toBe(2000)

    const small = all(await db.inspect({ maxPages: 5 }))
    expect(small).toHaveLength(5)
    expect(small[0]!.more).toBeGreaterThan(0)
    await expect(db.inspect({ maxPages: 0 })).rejects.toThrow(TypeError)
    await db.close()
  })
})
