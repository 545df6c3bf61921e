// Sync in several tabs of one profile: both tabs call sync() on the same database, one runs
// the engine (it holds a Web Lock named after the database and the remote), the other mirrors
// it over a BroadcastChannel and forwards syncNow(). Writes in either tab reach the server once;
// closing the runner's tab hands the sync to the other tab, and a second profile sees the result.
import { test, expect, type Page } from '@playwright/test'
import { rmSync } from 'node:fs'
import { launchPersistent } from './fixtures'
import { signToken } from '../packages/sync/src/server/auth'
import { decodePullPage } from '../packages/sync/src/protocol'
import { pointInTime } from '../packages/sync/src/client/at'
import { pgliteDir, serverProcess, type ServerProcess } from '../packages/sync/test/process'

const SECRET = 'e2e-secret-tabs-0123456789'
let dir = ''
let server: ServerProcess

test.beforeAll(async () => {
  dir = await pgliteDir()
  server = await serverProcess(['--port', '0', '--data', dir, '--secret', SECRET, '--poll-ms', '300'])
})
test.afterAll(async () => {
  await server?.stop().catch(() => {})
  if (dir) rmSync(dir, { recursive: true, force: true })
})

const auth = (name: string) => ({ authorization: `Bearer ${signToken(SECRET, { db: name })}` })

/**
 * Opens database `name` in the page (demo/test/sync.html) and calls sync() on it. `hosted`: the
 * database opened with @cowdb/sync's worker (syncWorker()), whose owner runs the sync, and the
 * token given as a function (the worker asks a page for it).
 */
async function startSync(page: Page, name: string, hosted = false): Promise<void> {
  page.on('pageerror', (e) => console.error('page error:', e))
  await page.goto('/test/sync.html')
  await expect(page.locator('body')).toHaveText('ready')
  await page.evaluate(
    async ({ url, token, name, hosted }) => {
      const w = window as any
      w.db = await w.cowdb.openDB(name, hosted ? { worker: w.cowdbSync.syncWorker() } : {})
      w.tokensGiven = 0
      const tokenFn = () => (w.tokensGiven++, token)
      w.sync = await w.cowdbSync.sync(w.db, { url, token: hosted ? tokenFn : token, backoff: { minMs: 100, maxMs: 1000 }, intervalMs: 5000 })
    },
    { url: `${server.url}/db/${name}`, token: signToken(SECRET, { db: name }), name, hosted },
  )
}

const status = (p: Page) => p.evaluate(() => (window as any).sync.status)
const head = async (name: string): Promise<number> => (await (await fetch(`${server.url}/db/${name}/head`, { headers: auth(name) })).json()).seq

/** Every change set on the server, as the list of its entries ('key value' in hex), by sequence. */
async function changeSets(name: string): Promise<Map<number, string[]>> {
  const sets = new Map<number, string[]>()
  let q = 'from=1'
  for (;;) {
    const res = await fetch(`${server.url}/db/${name}/pull?${q}`, { headers: auth(name) })
    const page = decodePullPage(new Uint8Array(await res.arrayBuffer()))
    for (const e of page.entries) {
      const kv = `${Buffer.from(e.key).toString('hex')} ${e.value ? Buffer.from(e.value).toString('hex') : '-'}`
      if (!sets.get(e.seq)?.includes(kv)) sets.set(e.seq, [...(sets.get(e.seq) ?? []), kv]) // a sliced value comes in pieces
    }
    if (!page.next) return sets
    q = `from=${page.next.seq}&idx=${page.next.idx}&offset=${page.next.offset}`
  }
}

/** Checks that no write went up twice: every (key, value) is in one change set only (values are unique per write). */
async function expectNoDoublePush(name: string): Promise<number> {
  const sets = await changeSets(name)
  const where = new Map<string, number[]>()
  for (const [seq, kvs] of sets) for (const kv of kvs) where.set(kv, [...(where.get(kv) ?? []), seq])
  expect([...where].filter(([, seqs]) => seqs.length > 1)).toEqual([])
  expect(sets.size).toBe(await head(name))
  return sets.size
}

test('two tabs sync one database through one runner; closing the runner tab hands over to the other', async () => {
  test.setTimeout(240_000)
  const name = `tabs-${Date.now()}`
  const profile = await launchPersistent()
  const other = await launchPersistent() // a second device
  try {
    const a = profile.context.pages()[0] ?? (await profile.context.newPage())
    const b = await profile.context.newPage()
    await startSync(a, name)
    await startSync(b, name)
    expect((await status(a)).runner).toBe(true)
    expect((await status(b)).runner).toBe(false)

    // a write in each tab, then that tab's syncNow(): one change set per write round
    await a.evaluate(async () => {
      const w = window as any
      await w.db.put('from-a', 1)
      await w.sync.syncNow()
    })
    expect(await head(name)).toBe(1)
    const fromB = await b.evaluate(async () => {
      const w = window as any
      await w.db.put('from-b', 2)
      return w.sync.syncNow()
    })
    expect(fromB).toMatchObject({ runner: false, cursor: 2 })
    expect(await head(name)).toBe(2)

    // writes in both tabs with no syncNow(): pushed by the runner by itself
    await Promise.all([
      a.evaluate(async () => {
        for (let i = 0; i < 5; i++) await (window as any).db.put(`a:${i}`, `a${i}`)
      }),
      b.evaluate(async () => {
        for (let i = 0; i < 5; i++) await (window as any).db.put(`b:${i}`, `b${i}`)
      }),
    ])
    const lastOfB = async () => (await pointInTime({ url: `${server.url}/db/${name}`, token: signToken(SECRET, { db: name }), key: 'b:4' })).value
    await expect.poll(lastOfB, { timeout: 60_000, intervals: [100, 250, 500] }).toBe('b4')
    await expect
      .poll(
        async () => {
          const [sa, sb, h] = await Promise.all([status(a), status(b), head(name)])
          return sa.state === 'idle' && sa.cursor === h && sb.cursor === h
        },
        { timeout: 60_000, intervals: [100, 250, 500] },
      )
      .toBe(true)
    await expectNoDoublePush(name)

    // the runner's tab closes: the other tab takes the lock and syncs from the saved state
    await a.close()
    await expect.poll(async () => (await status(b)).runner, { timeout: 60_000, intervals: [100, 250, 500] }).toBe(true)
    const before = await head(name)
    const after = await b.evaluate(async () => {
      const w = window as any
      await w.db.put('after-close', 3)
      return w.sync.syncNow()
    })
    expect(after).toMatchObject({ runner: true, cursor: before + 1 })
    expect(await head(name)).toBe(before + 1)

    // a second profile restores it all
    const c = other.context.pages()[0] ?? (await other.context.newPage())
    await startSync(c, name)
    const want = await b.evaluate(() => (window as any).db.scan({}))
    expect(want).toContainEqual(['after-close', 3])
    expect(want).toHaveLength(13)
    await expect.poll(() => c.evaluate(() => (window as any).db.scan({})), { timeout: 60_000, intervals: [100, 250, 500] }).toEqual(want)
    expect(await expectNoDoublePush(name)).toBe(before + 1)
  } finally {
    await profile.close()
    await other.close()
  }
})

test("with syncWorker(), the owner tab's worker runs the sync for every tab; closing that tab hands it to the next owner's worker", async () => {
  test.setTimeout(240_000)
  const name = `hosted-${Date.now()}`
  const profile = await launchPersistent()
  const other = await launchPersistent() // a second device
  try {
    const a = profile.context.pages()[0] ?? (await profile.context.newPage())
    const b = await profile.context.newPage()
    await startSync(a, name, true)
    await startSync(b, name, true)
    expect(await a.evaluate(() => (window as any).db.role())).toBe('leader')
    // no page runs it: both mirror the worker's engine
    for (const p of [a, b]) await expect.poll(async () => (await status(p)).worker, { timeout: 30_000 }).toBe(true)
    expect((await status(a)).runner).toBe(false)
    expect((await status(b)).runner).toBe(false)

    // writes in both tabs, syncNow() from each: one engine pushes, nothing twice
    await a.evaluate(async () => {
      await (window as any).db.put('from-a', 1)
      await (window as any).sync.syncNow()
    })
    expect(await b.evaluate(async () => {
      await (window as any).db.put('from-b', 2)
      return (window as any).sync.syncNow()
    })).toMatchObject({ runner: false, worker: true, cursor: 2 })
    await Promise.all([
      a.evaluate(async () => {
        for (let i = 0; i < 5; i++) await (window as any).db.put(`a:${i}`, `a${i}`)
      }),
      b.evaluate(async () => {
        for (let i = 0; i < 5; i++) await (window as any).db.put(`b:${i}`, `b${i}`)
      }),
    ])
    const lastOfB = async () => (await pointInTime({ url: `${server.url}/db/${name}`, token: signToken(SECRET, { db: name }), key: 'b:4' })).value
    await expect.poll(lastOfB, { timeout: 60_000, intervals: [100, 250, 500] }).toBe('b4')
    await expectNoDoublePush(name)
    // the worker took its tokens from a page (functions stay in the pages)
    expect((await a.evaluate(() => (window as any).tokensGiven)) + (await b.evaluate(() => (window as any).tokensGiven))).toBeGreaterThan(0)

    // the owner's tab closes: b's worker takes the database over, and its host the sync
    await a.close()
    await expect.poll(() => b.evaluate(() => (window as any).db.role()), { timeout: 60_000 }).toBe('leader')
    const before = await head(name)
    const after = await b.evaluate(async () => {
      await (window as any).db.put('after-close', 3)
      return (window as any).sync.syncNow()
    })
    expect(after).toMatchObject({ runner: false, worker: true, cursor: before + 1 })
    expect(await head(name)).toBe(before + 1)

    // a second device (tab mode: its default worker hosts nothing) gets it all
    const c = other.context.pages()[0] ?? (await other.context.newPage())
    await startSync(c, name)
    expect((await status(c)).runner).toBe(true)
    const want = await b.evaluate(() => (window as any).db.scan({}))
    expect(want).toHaveLength(13)
    await expect.poll(() => c.evaluate(() => (window as any).db.scan({})), { timeout: 60_000, intervals: [100, 250, 500] }).toEqual(want)
    expect(await expectNoDoublePush(name)).toBe(before + 1)
  } finally {
    await profile.close()
    await other.close()
  }
})
