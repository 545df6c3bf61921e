// Issue 13's value repros (items 1, 4 and 7) at the Database level, in Node: each value is
// written, then read back through get, getMany, scan and iterate, before and after a reopen.
import { describe, expect, it } from 'vitest'
import { Database, type DatabaseOptions } from './database.js'
import { DataCloneError } from './errors.js'
import { MemoryStorage } from './memory-store.js'
import { Float16Bits } from './values-float16.js'
import { compareClone } from '../test/values-oracle.js'

const quiet: DatabaseOptions = { checkpointDelayMs: 0 }

/** Writes each value under its name, then checks every read path against structuredClone, before and after a reopen. */
async function storeAndReadBack(values: Record<string, unknown>): Promise<void> {
  const storage = new MemoryStorage()
  let db = await Database.open(storage, quiet)
  for (const [k, v] of Object.entries(values)) await db.put(k, v)
  for (let round = 0; round < 2; round++) {
    const keys = Object.keys(values)
    const many = await db.getMany(keys)
    const scanned = new Map(await db.scan({ limit: 1000 }))
    const iterated = new Map<unknown, unknown>()
    for await (const [k, v] of db.iterate()) iterated.set(k, v)
    for (const [i, k] of keys.entries()) {
      const expected = structuredClone(values[k])
      for (const [how, got] of [['get', await db.get(k)], ['getMany', many[i]], ['scan', scanned.get(k)], ['iterate', iterated.get(k)]] as const) {
        expect(compareClone(got, expected, values[k]), `${k} via ${how}${round ? ' after reopen' : ''}`).toBeNull()
      }
    }
    expect((await db.verify()).ok).toBe(true)
    await db.close()
    db = await Database.open(storage.reopen(), quiet)
  }
  await db.close()
}

describe('issue 13: every value comes back exactly (Database, Node)', () => {
  it('1. Maps keep keys of every type: 1 and "1" apart, object and Date keys readable', async () => {
    await storeAndReadBack({
      numberAndString: new Map<unknown, unknown>([[1, 'a'], ['1', 'b']]),
      objectKey: new Map([[{ id: 1 }, 'x']]),
      dateKey: new Map([[new Date(5), 'd']]),
    })
  })

  it("1. a Float16Array's stand-in (Node has no Float16Array; e2e stores the real one in Chromium) reads back as itself", async () => {
    const storage = new MemoryStorage()
    const db = await Database.open(storage, quiet)
    await db.put('f16', { halves: new Float16Bits([0x3c00, 0xc000]) })
    await db.close()
    const again = await Database.open(storage.reopen(), quiet)
    const { halves } = (await again.get('f16')) as { halves: Float16Bits }
    expect(halves).toBeInstanceOf(Float16Bits)
    expect([...halves.toFloat32()]).toEqual([1, -2])
    await again.close()
  })

  it('4. lone surrogates in a string value and in a property name come back as they were', async () => {
    await storeAndReadBack({ value: 'a\ud800b', name: { ['\udc00key']: 1 }, nested: ['\udbff', { s: 'x\udfff' }] })
  })

  it('7. holes, extra array properties, an own __proto__ key, and 70,000 keys', async () => {
    const holes: unknown[] = [1, , 3, ,]
    const extra = Object.assign([1, 2], { note: 'kept' })
    await storeAndReadBack({
      holes,
      extra,
      proto: JSON.parse('{"__proto__":{"x":1},"y":2}'),
      wide: Object.fromEntries(Array.from({ length: 70_000 }, (_, i) => [`k${i}`, i])),
    })
  })

  it('keeps cycles, shared references, errors, RegExp and boxed primitives', async () => {
    const shared = { s: 1 }
    const cyclic: Record<string, unknown> = { name: 'root' }
    cyclic.self = cyclic
    await storeAndReadBack({ graph: { a: shared, b: shared, cyclic }, err: new TypeError('bad', { cause: 1 }), re: /x+/giy, boxed: [new Number(-0), new String('s')] })
  })

  it('rejects a value with a function deep inside with DataCloneError, and writes nothing', async () => {
    const storage = new MemoryStorage()
    const db = await Database.open(storage, quiet)
    await db.put('before', 1)
    const bad = { items: [0, 1, 2, { label: 'x', onClick() {} }] }
    await expect(db.put('bad', bad)).rejects.toThrow(DataCloneError)
    await expect(db.put('bad', bad)).rejects.toThrow(/value\.items\[3\]\.onClick is a function/)
    await expect(db.batch([{ type: 'put', key: 'ok', value: 1 }, { type: 'put', key: 'bad', value: bad }])).rejects.toThrow(DataCloneError)
    expect(await db.get('bad')).toBeUndefined()
    expect(await db.get('ok')).toBeUndefined()
    expect(await db.count()).toBe(1)
    // A bad value fails its own call only: neighbours in the same tick go on.
    const [ok, no, ok2] = await Promise.allSettled([db.put('n1', 1), db.put('bad', bad), db.put('n2', 2)])
    expect([ok.status, no.status, ok2.status]).toEqual(['fulfilled', 'rejected', 'fulfilled'])
    expect((no as PromiseRejectedResult).reason).toBeInstanceOf(DataCloneError)
    await db.delete('n1')
    await db.delete('n2')
    await db.close()
    const again = await Database.open(storage.reopen(), quiet)
    expect(await again.scan()).toEqual([['before', 1]])
    await again.close()
  })
})
