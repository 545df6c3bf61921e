// The commit path under injected failures: every named failpoint (failpoints.ts), at its 1st,
// 2nd, 3rd, 5th and 9th hit, under each kind of write, with a neighbouring put in the same tick.
// After each failure the database must equal the model: with the call if it resolved, without
// it if it rejected (a rejected call leaves no trace), either when the error says writes
// stopped. Checked while open, through what subscribers saw, after a crash at that moment, and
// after close and reopen; every page checked by verify() and no reachable slot on the free list.
import { describe, expect, it } from 'vitest'
import { Database, type DatabaseOptions } from '../src/database.js'
import { isStopped } from '../src/errors.js'
import { FAILPOINTS, Failpoints, type FailpointName } from '../src/failpoints.js'
import type { ChangeEvent } from '../src/subscriptions.js'
import { crashCopy, failpointStorage } from './failpoint-storage.js'

type Contents = Map<string, unknown>
const key = (i: number) => `k${String(i).padStart(2, '0')}`
const settle = () => new Promise((r) => setTimeout(r, 0))
const opts: DatabaseOptions = { pageSize: 512, cacheBytes: 0, checkpointDelayMs: 0, largeCommitBytes: 3000 }

/** Each kind of write: what it does, and what it does to the model if it takes effect. */
const OPS: Record<string, { run: (db: Database, ctx: { snap: string; backup: Uint8Array }) => Promise<unknown>; effect: (m: Contents, ctx: { base: Contents }) => Contents }> = {
  put: { run: (db) => db.put(key(5), 'new'), effect: (m) => new Map(m).set(key(5), 'new') },
  batch: {
    run: (db) => db.batch([{ type: 'put', key: key(2), value: 'b' }, { type: 'delete', key: key(3) }, { type: 'put', key: key(70), value: 'b' }]),
    effect: (m) => {
      const n = new Map(m).set(key(2), 'b').set(key(70), 'b')
      n.delete(key(3))
      return n
    },
  },
  deleteRange: {
    run: (db) => db.deleteRange({ gte: key(10), lt: key(20) }),
    effect: (m) => new Map([...m].filter(([k]) => !(k >= key(10) && k < key(20)))),
  },
  transaction: {
    run: (db) => db.transaction(async (tx) => {
      tx.put(key(4), `${String(await tx.get(key(4)))}!`)
      tx.put(key(71), 'tx')
    }),
    effect: (m) => new Map(m).set(key(4), `${String(m.get(key(4)))}!`).set(key(71), 'tx'),
  },
  restore: { run: (db, c) => db.restore(c.snap), effect: (_m, c) => new Map(c.base) },
  import: { run: (db, c) => db.importBackup(c.backup), effect: (_m, c) => new Map(c.base) },
  largeBatch: {
    run: (db) => db.batch(Array.from({ length: 40 }, (_, i) => ({ type: 'put' as const, key: key(i), value: 'L'.repeat(100) }))),
    effect: (m) => {
      const n = new Map(m)
      for (let i = 0; i < 40; i++) n.set(key(i), 'L'.repeat(100))
      return n
    },
  },
}
const SKIPS = [0, 1, 2, 4, 8]

const asMap = (entries: [unknown, unknown][]): Contents => new Map(entries.map(([k, v]) => [k as string, v]))
const show = (m: Contents) => JSON.stringify([...m].sort(([a], [b]) => (a < b ? -1 : 1)))

/** Every outcome the model allows: each call that may or may not have taken effect doubles them. */
function outcomes(start: Contents, steps: { effect: (m: Contents) => Contents; state: 'done' | 'failed' | 'unknown' }[]): Set<string> {
  let states = [start]
  for (const s of steps) {
    if (s.state === 'done') states = states.map(s.effect)
    else if (s.state === 'unknown') states = states.flatMap((m) => [m, s.effect(m)])
  }
  return new Set(states.map(show))
}

async function trial(point: FailpointName, op: string, skip: number): Promise<{ fired: number; problems: string[] }> {
  const fp = new Failpoints()
  const storage = failpointStorage(fp)
  const db = await Database.open(storage, { ...opts, failpoints: fp })
  await db.batch(Array.from({ length: 60 }, (_, i) => ({ type: 'put' as const, key: key(i), value: `v${i}` })))
  const snap = await db.snapshot({ label: 'base' })
  const base = asMap(await db.scan({ limit: 1000 }))
  await db.put(key(0), 'changed')
  await db.delete(key(1))
  const backup = await db.exportBackup({ snapshot: snap.id })
  await db.checkpoint()
  const start = asMap(await db.scan({ limit: 1000 }))
  const events: ChangeEvent[] = []
  await db.subscribe({}, (e) => events.push(e))
  let errorEvents = 0
  db.addEventListener('error', () => errorEvents++)

  fp.arm(point, { skip })
  // cutting the log back only happens after a failed flush: fail both, and writes must stop
  if (point === 'walTruncate') fp.arm('walFlush', { skip })
  const spec = OPS[op]!
  // a crash the moment the first call has its answer, before anything the engine does afterwards
  let atAnswer: { copy: ReturnType<typeof crashCopy>; first: number } | undefined
  const answered = <T>(p: Promise<T>, i: number) => p.finally(() => (atAnswer ??= { copy: crashCopy(storage.inner), first: i }))
  const settled = await Promise.allSettled([answered(spec.run(db, { snap: snap.id, backup }), 0), answered(db.put('neighbour', skip), 1)])
  fp.disarm()
  await settle()
  const fired = fp.fired.get(point) ?? 0

  const state = (r: PromiseSettledResult<unknown>) => (r.status === 'fulfilled' ? 'done' : isStopped(r.reason) ? 'unknown' : 'failed')
  const steps = [
    { effect: (m: Contents) => spec.effect(m, { base }), state: state(settled[0]) },
    { effect: (m: Contents) => new Map(m).set('neighbour', skip), state: state(settled[1]) },
  ] as const
  const allowed = outcomes(start, [...steps])
  // when the first call was answered, the other one may or may not have taken effect yet
  const allowedAtAnswer = outcomes(start, steps.map((s, i) => (i === atAnswer!.first || s.state === 'unknown' ? s : { ...s, state: 'unknown' as const })))
  const problems: string[] = []
  const where = `${point} (skip ${skip}) under ${op}`
  for (const r of settled) {
    if (r.status === 'rejected' && !(r.reason instanceof Error)) problems.push(`${where}: rejected with a non-Error ${String(r.reason)}`)
  }
  const check = (label: string, m: Contents, ok = allowed) => {
    if (!ok.has(show(m))) problems.push(`${where}: ${label} holds ${show(m)}, expected one of ${[...ok].join(' | ')} (calls: ${settled.map(state).join(', ')})`)
  }
  check('the open database', asMap(await db.scan({ limit: 1000 })))
  // what subscribers saw, replayed onto the start, is the head (unless a delivery was lost and reported)
  const replay = new Map(start)
  for (const e of events) for (const c of e.changes) c.after === undefined ? replay.delete(c.key as string) : replay.set(c.key as string, c.after)
  if (fp.fired.has('deliver')) {
    if (errorEvents === 0) problems.push(`${where}: a delivery failed and no error event was dispatched`)
  } else check('the replay of the events', replay)
  // a crash when the first call was answered, and one now
  const crashes = [['a crash when the first call was answered', atAnswer!.copy, allowedAtAnswer], ['a crash after both settled', crashCopy(storage.inner), allowed]] as const
  for (const [label, copy, ok] of crashes) {
    const crashed = await Database.open(copy, opts)
    check(label, asMap(await crashed.scan({ limit: 1000 })), ok)
    if (!(await crashed.verify()).ok) problems.push(`${where}: verify() failed after ${label}`)
    await crashed.close()
  }
  // close and reopen
  await db.close().catch((e: unknown) => problems.push(`${where}: close failed: ${String(e)}`))
  const reopened = await Database.open(storage.inner.reopen(), opts)
  const after = asMap(await reopened.scan({ limit: 1000 }))
  check('a reopen', after)
  const report = await reopened.verify()
  if (!report.ok) problems.push(`${where}: verify() after reopen: ${JSON.stringify(report.errors.slice(0, 3))}`)
  const space = await reopened.space()
  if (space.reachableButFree) problems.push(`${where}: ${space.reachableButFree} reachable slots on the free list`)
  await reopened.close()
  return { fired, problems }
}

describe('the commit path under every named failpoint', () => {
  it('a failure before the durability point leaves no trace, and none after it undoes a write', async () => {
    const fired = new Map<string, number>()
    const problems: string[] = []
    for (const point of Object.keys(FAILPOINTS) as FailpointName[]) {
      for (const op of Object.keys(OPS)) {
        for (const skip of SKIPS) {
          const r = await trial(point, op, skip)
          fired.set(`${point} ${op}`, (fired.get(`${point} ${op}`) ?? 0) + r.fired)
          problems.push(...r.problems)
        }
      }
    }
    // which failpoint fired under which write (0: that write never reaches it)
    const ops = Object.keys(OPS)
    const rows = (Object.keys(FAILPOINTS) as FailpointName[]).map((p) => `${p.padEnd(17)}${ops.map((o) => String(fired.get(`${p} ${o}`) ?? 0).padStart(12)).join('')}`)
    console.log(`failures injected (of ${SKIPS.length} trials each)\n${''.padEnd(17)}${ops.map((o) => o.padStart(12)).join('')}\n${rows.join('\n')}`)
    expect(problems).toEqual([])
    for (const p of Object.keys(FAILPOINTS)) expect(ops.some((o) => (fired.get(`${p} ${o}`) ?? 0) > 0), `failpoint ${p} never fired`).toBe(true)
  })
})
