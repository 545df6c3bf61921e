// One runner per (database, remote), in process: several sync() handles on one core Database
// run one engine; the others mirror it, forward syncNow(), and take over when it stops. Against
// a real server on PGlite; the server's change sets show whether anything was pushed twice.
// The model test's seed is fixed (COWDB_SEED / COWDB_RUNS override) and printed on failure.
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { branchLocalSync, scanAt, SyncHttpError, type ConflictInfo, type SyncHandle, type SyncStatus } from '@cowdb/sync'
import { changeSets, contents, device, freshName, manual, startServer, until, type TestServer } from '../../test/harness.js'

let ts: TestServer
beforeAll(async () => {
  ts = await startServer()
})
afterAll(async () => {
  await ts?.server.close()
})

const hex = (b: Uint8Array | null) => (b === null ? '-' : Buffer.from(b).toString('hex'))

/** Every (key, value) the server's change sets hold, one string per entry ('seq key value'). */
async function serverEntries(name: string): Promise<{ seq: number; kv: string }[]> {
  const rows = await ts.server.store.sql.query<{ seq: number | string; key: Uint8Array; value: Uint8Array | null }>('select seq, key, value from cowdb_sync_entries where db = $1 order by seq, idx', [name])
  return rows.map((r) => ({ seq: Number(r.seq), kv: `${hex(r.key)} ${hex(r.value)}` }))
}

/** The (key, value) entries found in more than one change set: a change pushed twice. */
async function pushedTwice(name: string): Promise<string[]> {
  const sets = new Map<string, Set<number>>()
  for (const e of await serverEntries(name)) sets.set(e.kv, (sets.get(e.kv) ?? new Set()).add(e.seq))
  return [...sets].filter(([, s]) => s.size > 1).map(([kv]) => kv)
}

/** The server's state at its head, as [key, value] pairs. */
async function serverState(name: string): Promise<[unknown, unknown][]> {
  const out: [unknown, unknown][] = []
  for await (const e of scanAt({ url: ts.dbUrl(name), token: ts.token(name) })) out.push(e)
  return out
}

const detail = <T>(e: Event) => (e as CustomEvent<T>).detail

describe('several sync() handles on one database', () => {
  it('one runs; the standby mirrors its status and events, and its syncNow() resolves after the runner round', async () => {
    const name = freshName('tabs')
    const a = await device()
    const h1 = await manual(ts, a.db, name)
    const h2 = await manual(ts, a.db, name)
    expect(h1.status.runner).toBe(true)
    expect(h2.status.runner).toBe(false)
    const states: string[] = []
    let progress = 0
    let synced = 0
    h2.addEventListener('status', (e) => states.push(detail<SyncStatus>(e).state))
    h2.addEventListener('progress', () => progress++)
    h2.addEventListener('synced', () => synced++)

    await a.db.put('k', 1)
    const s = await h2.syncNow()
    expect(s).toMatchObject({ runner: false, cursor: 1, head: 1, state: 'idle' })
    expect(await changeSets(ts, name)).toBe(1)
    expect(h1.status.cursor).toBe(1)
    expect(h2.status).toEqual({ ...h1.status, runner: false })
    expect(states).toContain('syncing')
    expect(states.at(-1)).toBe('idle')
    expect(progress).toBeGreaterThan(0)
    expect(synced).toBe(1)

    // a round the runner starts shows on the standby too
    await a.db.put('k', 2)
    await h1.syncNow()
    await until(() => h2.status.cursor === 2, 20_000, 'the standby hears cursor 2')
    expect(await changeSets(ts, name)).toBe(2)

    // the runner stops: the standby takes over, from the saved state, and pushes the next put
    await h1.stop()
    await expect(h1.syncNow()).rejects.toThrow('stopped')
    await until(() => h2.status.runner, 20_000, 'the standby runs')
    await a.db.put('k', 3)
    expect(await h2.syncNow()).toMatchObject({ runner: true, cursor: 3 })
    expect(await changeSets(ts, name)).toBe(3)
    expect(await pushedTwice(name)).toEqual([])

    const b = await device()
    const hb = await manual(ts, b.db, name)
    await hb.syncNow()
    expect(await contents(b.db)).toEqual([['k', 3]])
    await h2.stop()
    await hb.stop()
  })

  it('with auto sync in both, a put goes up once and both handles end at the same cursor', async () => {
    const name = freshName('auto')
    const a = await device()
    const opts = { auto: true, intervalMs: 60_000 }
    const h1 = await manual(ts, a.db, name, opts)
    const h2 = await manual(ts, a.db, name, opts)
    for (let i = 0; i < 5; i++) await a.db.put(`k${i}`, i)
    const done = async () => (await serverState(name)).length === 5 && h1.status.state === 'idle' && h2.status.cursor === h1.status.cursor && h1.status.cursor === h1.status.head
    await until(done, 30_000, 'all five keys on the server, both handles idle at one cursor')
    expect(await pushedTwice(name)).toEqual([])
    expect(h2.status).toMatchObject({ cursor: h1.status.cursor, device: h1.status.device, runner: false })
    await h1.stop()
    await h2.stop()
  })

  it('conflicts and failures reach the standby: the runner resolves, its token is used, its error is the standby error', async () => {
    const name = freshName('conflict')
    let now = 1_800_000_000_000
    const clock = () => now
    const a = await device()
    const b = await device()
    const h1 = await manual(ts, a.db, name, { now: clock })
    const h2 = await manual(ts, a.db, name, { now: clock })
    const hb = await manual(ts, b.db, name, { now: clock })
    const seen: ConflictInfo[][] = [[], []]
    h1.addEventListener('conflict', (e) => seen[0]!.push(detail(e)))
    h2.addEventListener('conflict', (e) => seen[1]!.push(detail(e)))
    await a.db.put('shared', 'a-early')
    await new Promise((r) => setTimeout(r, 30)) // the runner's tracker stamps the commit
    now += 1000
    await b.db.put('shared', 'b-later')
    await hb.syncNow()
    await h2.syncNow()
    const want = { key: 'shared', local: 'a-early', remote: 'b-later', result: 'b-later', by: 'hlc' }
    expect(seen).toEqual([[want], [want]])
    expect(h2.status.conflicts).toBe(1)
    expect(await a.db.get('shared')).toBe('b-later')
    await h1.stop()
    await h2.stop()
    await hb.stop()

    // the runner's token (another database's: 403) is what both handles get
    const other = freshName('other')
    const c = await device()
    const r1 = await manual(ts, c.db, name, { token: ts.token(other) })
    const r2 = await manual(ts, c.db, name)
    await c.db.put('x', 1)
    const err = await r2.syncNow().then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(err).toBeInstanceOf(SyncHttpError)
    expect(err).toMatchObject({ status: 403 })
    expect(r2.status.state).toBe('error')
    expect(r2.status.error).toBeInstanceOf(SyncHttpError)
    await expect(r1.syncNow()).rejects.toMatchObject({ name: 'SyncHttpError', status: 403 })
    await r1.stop()
    await r2.stop()
  })

  it('stop() on a standby leaves the others; a syncNow() asked during a handover waits for the next runner', async () => {
    const name = freshName('handover')
    const a = await device()
    const [h1, h2] = await Promise.all([manual(ts, a.db, name), manual(ts, a.db, name)])
    const h3 = await manual(ts, a.db, name)
    const h4 = await manual(ts, a.db, name)
    expect([h1, h2, h3, h4].filter((h) => h.status.runner)).toHaveLength(1)
    const first = h1.status.runner ? h1 : h2
    const next = first === h1 ? h2 : h1

    await h3.stop()
    expect(h3.status.state).toBe('stopped')
    await expect(h3.syncNow()).rejects.toThrow('stopped')
    await a.db.put('k', 1)
    expect((await h4.syncNow()).cursor).toBe(1)

    // asked while the runner is stopping: answered by the next one
    await a.db.put('k', 2)
    const stopping = first.stop()
    const asked = h4.syncNow()
    await stopping
    expect(await asked).toMatchObject({ cursor: 2, runner: false })
    expect(next.status.runner).toBe(true)
    expect(h3.status.runner).toBe(false)

    await next.stop()
    await until(() => h4.status.runner, 20_000, 'the last standby runs')
    await h4.stop()
    // nobody holds the lock any more: a new handle runs at once
    const h5 = await manual(ts, a.db, name)
    expect(h5.status.runner).toBe(true)
    await a.db.put('k', 3)
    await h5.syncNow()
    expect(await changeSets(ts, name)).toBe(3)
    expect(await pushedTwice(name)).toEqual([])
    await h5.stop()
  })
})

describe('a standby that cannot start when its turn comes', () => {
  it('turns to error and stops, and the lock passes to the next handle', async () => {
    const name = freshName('nostart')
    const a = await device()
    const h1 = await manual(ts, a.db, name)
    const broken = branchLocalSync(a.db, 'never-starts')
    const h2 = await manual(ts, a.db, name, {
      local: {
        ...broken,
        load: () => Promise.reject(new TypeError('cannot read the sync state')),
      },
    })
    const h3 = await manual(ts, a.db, name)
    // waits for a runner: h2 itself, which fails to start
    const asked = h2.syncNow().then(
      () => 'resolved',
      (e: Error) => e.message,
    )
    await h1.stop()
    await until(() => h3.status.runner, 20_000, 'the third handle runs')
    expect(await asked).toBe('cannot read the sync state')
    await expect(h2.syncNow()).rejects.toThrow('stopped')
    expect(h2.status).toMatchObject({ state: 'error', runner: false })
    expect(h2.status.error?.message).toBe('cannot read the sync state')
    await a.db.put('k', 1)
    expect((await h3.syncNow()).cursor).toBe(1)
    await h3.stop()
  })
})

const SEED = Number(process.env.COWDB_SEED ?? 20261201)
const RUNS = Number(process.env.COWDB_RUNS ?? 12)

type Step = { op: 'put'; key: string } | { op: 'sync'; h: number } | { op: 'wait' } | { op: 'restart'; h: number }

const steps = fc.array(
  fc.oneof(
    { weight: 4, arbitrary: fc.record({ op: fc.constant('put' as const), key: fc.constantFrom('a', 'b', 'c', 'd') }) },
    { weight: 5, arbitrary: fc.record({ op: fc.constant('sync' as const), h: fc.integer({ min: 0, max: 2 }) }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('wait' as const) }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('restart' as const), h: fc.integer({ min: 0, max: 2 }) }) },
  ),
  { minLength: 5, maxLength: 30 },
)

describe('model: three handles calling syncNow() concurrently', () => {
  it(`push every put exactly once, and end where a plain map of the puts ends (seed ${SEED}, ${RUNS} runs)`, async () => {
    await fc.assert(
      fc.asyncProperty(steps, async (history: Step[]) => {
        const name = freshName('model')
        const a = await device()
        const handles: SyncHandle[] = []
        for (let i = 0; i < 3; i++) handles.push(await manual(ts, a.db, name))
        const model = new Map<string, number>()
        const inFlight: Promise<unknown>[] = []
        const failures: unknown[] = []
        let value = 0
        for (const s of history) {
          if (s.op === 'put') {
            model.set(s.key, ++value) // every put a new value: a (key, value) on the server twice is a double push
            await a.db.put(s.key, value)
          } else if (s.op === 'sync') {
            inFlight.push(handles[s.h]!.syncNow().catch((e: Error) => e.message !== 'cowdb-sync: stopped' && failures.push(e)))
          } else if (s.op === 'wait') {
            await Promise.all(inFlight.splice(0))
          } else {
            await handles[s.h]!.stop()
            handles[s.h] = await manual(ts, a.db, name) // joins the queue
          }
        }
        await Promise.all(inFlight)
        await handles[0]!.syncNow()
        expect(failures).toEqual([])
        const want = [...model].sort(([x], [y]) => (x < y ? -1 : 1))
        expect(await pushedTwice(name)).toEqual([])
        expect(await contents(a.db)).toEqual(want)
        expect(await serverState(name)).toEqual(want)
        // each change set holds puts nobody pushed before: at most one per put
        expect(await changeSets(ts, name)).toBeLessThanOrEqual(value)
        expect(handles.filter((h) => h.status.runner)).toHaveLength(1)
        for (const h of handles) await h.stop()
      }),
      { seed: SEED, numRuns: RUNS, endOnFailure: true, verbose: 1 },
    )
  }, 300_000)
})
