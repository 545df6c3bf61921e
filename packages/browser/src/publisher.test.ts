// The owner's publisher (publisher.ts) feeding a follower's mirror (mirror.ts) over a fake
// channel (a structured clone per publish, as the BroadcastChannel does), read through the same
// reader the follower's page uses (fast-read.ts): what the follower's reads find in its own
// cache, and how many of them have to ask the owner (each one a message across tabs).
import { describe, expect, it } from 'vitest'
import { Database, MemoryStorage } from '@cowdb/core'
import { FastReader } from './fast-read.js'
import { Mirror } from './mirror.js'
import { PendingWrites } from './pending-writes.js'
import type { PagesMessage, WarmRead } from './protocol.js'
import { Publisher } from './publisher.js'

const BYTES = 4 * 1024 * 1024

/** An owner (with what `fill` wrote before it began publishing) and a follower that asked for its publishes. */
async function ownerAndFollower(fill?: (db: Database) => Promise<unknown>) {
  const storage = new MemoryStorage()
  const db = await Database.open(storage, { pageSize: 1024, checkpointDelayMs: 0 })
  await fill?.(db)
  const channel: PagesMessage[] = []
  /** Every publish sent, as page ids. */
  const sent: number[][] = []
  const publisher = Publisher.start(storage, { bytes: BYTES, broadcast: (m) => (sent.push(m.pages.map(([id]) => id)), channel.push(structuredClone(m))), term: 1 })!
  let buffer: ArrayBufferLike | undefined
  const mirror = new Mirror('follower', BYTES, (b) => (buffer = b))
  const deliver = () => {
    for (const m of channel.splice(0)) mirror.apply(m)
  }
  publisher.follow('follower')
  deliver()
  const warms: WarmRead[] = []
  const reader = new FastReader(buffer as SharedArrayBuffer, new PendingWrites(), (w) => warms.push(w))
  /** What the follower's worker does for its page: forwards the warms to the owner; the publish comes back. */
  const forward = () => {
    const asked = warms.splice(0)
    if (asked.length) publisher.warm(asked)
    deliver()
    return asked.length
  }
  /** Reads `keys` in the follower's page; the values it found, and how many reads asked the owner. */
  const read = async (keys: number[]) => {
    const values: unknown[] = []
    let asked = 0
    for (const k of keys) {
      const got = reader.get(k)
      if (got === undefined) {
        asked += forward()
        values.push(await db.get(k)) // the read itself, answered by the owner
      } else values.push(await got)
    }
    return { values, asked }
  }
  /** Reads `keys` in one getMany in the follower's page; the values, and whether it asked the owner. */
  const readMany = async (keys: number[]) => {
    const got = reader.getMany(keys)
    if (got !== undefined) return { values: await got, asked: 0 }
    return { asked: forward(), values: await db.getMany(keys) }
  }
  return { db, publisher, deliver, read, readMany, sent }
}

describe('Publisher feeding a follower', () => {
  it("sends compaction's copies: the follower's reads find every page after a compaction, with no message", async () => {
    const { db, publisher, deliver, read } = await ownerAndFollower()
    const keys = Array.from({ length: 3000 }, (_, i) => i)
    await db.batch(keys.map((i) => ({ type: 'put' as const, key: i, value: `a ${i}` })))
    await db.checkpoint()
    // every key rewritten and checkpointed: the pages in use sit above the free slots of the first ones
    await db.batch(keys.map((i) => ({ type: 'put' as const, key: i, value: `c ${i}` })))
    await db.checkpoint()
    await Promise.resolve() // the publish of that durability point
    deliver()
    const first = await read(keys) // fills the follower's cache (the misses warm)
    expect(first.values).toEqual(keys.map((i) => `c ${i}`))
    expect((await read(keys)).asked).toBe(0)

    // commits since the checkpoint: their paths are in memory, and compaction changes them in place
    for (let i = 0; i < 20; i++) await db.put(i * 150, `c ${i * 150}`)
    await Promise.resolve()
    deliver()
    const { pagesCopied } = await db.compact() // copies under new ids, written by its checkpoint
    expect(pagesCopied).toBeGreaterThan(0)
    for (let i = 0; i < 3; i++) {
      await db.put(`writer ${i}`, i) // the writer goes on: durability points, each a publish
      await Promise.resolve()
      deliver()
    }
    const after = await read(keys)
    expect(after.values).toEqual(keys.map((i) => `c ${i}`))
    expect(after.asked).toBe(0)
    expect(publisher.counts.unshareable).toBe(0)
    await db.close()
  })

  it("a warm's reply copies each page once, however many of the keys it walked share it", async () => {
    const keys = Array.from({ length: 3000 }, (_, i) => i)
    // pages written before the owner published (an owner's cold cache): they come when read
    const { db, readMany, sent } = await ownerAndFollower((db) => db.batch(keys.map((i) => ({ type: 'put' as const, key: i, value: `a ${i}` }))))
    sent.length = 0
    // the follower's page reads all keys at once: it misses, and asks for the pages all of them walk
    const first = await readMany(keys)
    expect(first.asked).toBe(1)
    expect(sent.length).toBe(1)
    const ids = sent[0]!
    expect(ids.length).toBeGreaterThan(10) // the root, the branches, every leaf
    expect(new Set(ids).size).toBe(ids.length)
    const again = await readMany(keys) // it has them all now
    expect(again.asked).toBe(0)
    expect(again.values).toEqual(keys.map((i) => `a ${i}`))
    await db.close()
  })
})
