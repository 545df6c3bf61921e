// Differential test: random sequences of Level operations on CowdbLevel (over core's in-memory
// store) and on memory-level, the Level project's own in-memory implementation, as the oracle.
// Keys are short byte strings from a small alphabet (so they collide, share prefixes and include
// the empty key), read back through ranges, reverse, limits, seeks, clears and snapshots: every
// read must agree, entry for entry and in order (Level orders keys by their bytes).
import fc from 'fast-check'
import { MemoryLevel } from 'memory-level'
import { describe, expect, it } from 'vitest'
import { Database, MemoryStorage } from '@cowdb/core'
import { CowdbLevel } from './index.js'

const SEED = Number(process.env.COWDB_SEED ?? 20261130)
const RUNS = Number(process.env.COWDB_RUNS ?? 60)

const bytes = fc.uint8Array({ minLength: 0, maxLength: 3, min: 0, max: 4 }).map((b) => Uint8Array.from(b))
const value = fc.uint8Array({ minLength: 0, maxLength: 6 }).map((b) => Uint8Array.from(b))
const range = fc.record({ gt: bytes, gte: bytes, lt: bytes, lte: bytes }, { requiredKeys: [] })
const read = fc.record({ range, reverse: fc.boolean(), limit: fc.oneof(fc.constant(-1), fc.nat(6)) })

type Cmd =
  | { op: 'put'; key: Uint8Array; value: Uint8Array }
  | { op: 'del'; key: Uint8Array }
  | { op: 'batch'; ops: ({ type: 'put'; key: Uint8Array; value: Uint8Array } | { type: 'del'; key: Uint8Array })[] }
  | { op: 'clear'; read: fc.RecordValue<typeof read> }
  | { op: 'get'; keys: Uint8Array[] }
  | { op: 'iterate'; read: fc.RecordValue<typeof read>; seek?: Uint8Array; after: number }
  | { op: 'snapshot' }
  | { op: 'atSnapshot'; read: fc.RecordValue<typeof read> }

const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant('put' as const), key: bytes, value }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('del' as const), key: bytes }) },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('batch' as const),
      ops: fc.array(fc.oneof(fc.record({ type: fc.constant('put' as const), key: bytes, value }), fc.record({ type: fc.constant('del' as const), key: bytes })), { maxLength: 6 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('clear' as const), read }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('get' as const), keys: fc.array(bytes, { minLength: 1, maxLength: 4 }) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('iterate' as const), read, seek: fc.option(bytes, { nil: undefined }), after: fc.nat(3) }, { requiredKeys: ['op', 'read', 'after'] }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('snapshot' as const) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('atSnapshot' as const), read }) },
)

type Db = MemoryLevel<Uint8Array, Uint8Array> | CowdbLevel<Uint8Array, Uint8Array>
type Snap = ReturnType<Db['snapshot']>
const hex = (b: Uint8Array | undefined) => (b === undefined ? undefined : Buffer.from(b).toString('hex'))

/** Runs one command on one database; returns what it read (hex strings), for comparing. */
async function apply(db: Db, c: Cmd, snaps: Snap[]): Promise<unknown> {
  const o = { keyEncoding: 'view', valueEncoding: 'view' } as const
  switch (c.op) {
    case 'put':
      return db.put(c.key, c.value, o)
    case 'del':
      return db.del(c.key, o)
    case 'batch':
      return db.batch(c.ops.map((x) => ({ ...x, ...o })) as never)
    case 'clear':
      return db.clear({ ...c.read.range, reverse: c.read.reverse, limit: c.read.limit, ...o })
    case 'get':
      return (await db.getMany(c.keys, o)).map(hex)
    case 'snapshot':
      snaps.push(db.snapshot())
      return
    case 'iterate':
    case 'atSnapshot': {
      const snapshot = c.op === 'atSnapshot' ? snaps.at(-1) : undefined
      if (c.op === 'atSnapshot' && !snapshot) return 'no snapshot'
      const it = db.iterator({ ...c.read.range, reverse: c.read.reverse, limit: c.read.limit, snapshot, ...o })
      try {
        const first = (await it.nextv(c.op === 'iterate' ? c.after : 0)).map(([k, v]) => [hex(k), hex(v)])
        if (c.op === 'iterate' && c.seek) it.seek(c.seek)
        const rest = (await it.all()).map(([k, v]) => [hex(k), hex(v)])
        return { first, rest }
      } finally {
        await it.close()
      }
    }
  }
}

describe('CowdbLevel against memory-level', () => {
  it(`agrees on every read of random operation sequences (seed ${SEED}, ${RUNS} runs)`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(cmd, { minLength: 1, maxLength: 40 }), async (cmds) => {
        const oracle = new MemoryLevel<Uint8Array, Uint8Array>({ keyEncoding: 'view', valueEncoding: 'view' })
        const cow = new CowdbLevel<Uint8Array, Uint8Array>(() => Database.open(new MemoryStorage(), { checkpointDelayMs: 0 }), { keyEncoding: 'view', valueEncoding: 'view' })
        await Promise.all([oracle.open(), cow.open()])
        const snaps: [Snap[], Snap[]] = [[], []]
        try {
          for (const [i, c] of cmds.entries()) {
            const want = await apply(oracle, c, snaps[0])
            const got = await apply(cow, c, snaps[1])
            expect(got, `command ${i}: ${JSON.stringify(c, (_k, v) => (v instanceof Uint8Array ? hex(v) : v))}`).toEqual(want)
          }
        } finally {
          await Promise.all([oracle.close(), cow.close()])
        }
      }),
      { seed: SEED, numRuns: RUNS, verbose: true },
    )
  })

  it('keeps string keys in byte order, as Level does (not UTF-16 order)', async () => {
    const cow = new CowdbLevel(() => Database.open(new MemoryStorage(), { checkpointDelayMs: 0 }))
    const oracle = new MemoryLevel()
    const keys = ['b', 'a', '\u{1F600}', '\uFFFF', 'é', 'a\u0000', '']
    for (const db of [cow, oracle]) for (const k of keys) await db.put(k, k.length.toString())
    const order = async (db: CowdbLevel | MemoryLevel) => (await db.keys().all())
    expect(await order(cow)).toEqual(await order(oracle))
    // the astral character (UTF-8 F0...) sorts after U+FFFF (EF BF BF), unlike JavaScript's '<'
    expect((await order(cow)).slice(-2)).toEqual(['\uFFFF', '\u{1F600}'])
    await cow.close()
    await oracle.close()
  })
})
