// Every error keeps its class, name and message across the worker and across tabs, on every
// method: the engine of the owning worker (demo/test/fault-worker.ts) is told to throw each error
// class from each method, and the call is made from the owner's tab and from a follower's tab.
// Then the real thing: errors the engine and the browser throw on their own, in both tabs.
import type { Page } from '@playwright/test'
import { expect, openTestPage, test } from './fixtures'

async function open(page: Page, name: string, worker: string | null = '/test/fault-worker.ts', options: object = {}): Promise<void> {
  await openTestPage(page)
  await page.evaluate(
    async ([name, worker, options]) => {
      const w = window as any
      w.db = await w.cowdb.openDB(name, worker ? { ...options, worker } : options)
      const faults = new BroadcastChannel('cowdb-test-faults')
      const acks = new Map<string, () => void>()
      faults.onmessage = (e) => acks.get(e.data.message)?.()
      /** Arms a fault in the owner's engine and waits until it is armed. */
      w.arm = (method: string, name: string, message: string) =>
        new Promise<void>((resolve) => {
          acks.set(message, resolve)
          faults.postMessage({ method, name, message })
        })
      /** Runs `call` expecting `cls` with `message`; returns what differs (empty: all kept). */
      w.expectError = async (call: () => Promise<unknown>, name: string, message: string) => {
        const cls = w.cowdb[name] ?? (globalThis as any)[name]
        const e = await call().then(() => undefined, (e: unknown) => e)
        if (!e) return ['resolved']
        const bad: string[] = []
        if (!(e instanceof cls)) bad.push(`not instanceof ${name} (${e?.constructor?.name})`)
        if (e.name !== name) bad.push(`name ${e.name}`)
        if (e.message !== message) bad.push(`message ${e.message}`)
        if (name === 'CorruptionError' && (e.slot !== 7 || e.pageId !== 42)) bad.push(`slot/pageId ${e.slot}/${e.pageId}`)
        return bad
      }
    },
    [name, worker, options] as const,
  )
}

/** Each public call, and the engine method it reaches in the owner's worker. */
const CALLS = `({
  get: ['get', (db) => db.get('k')],
  getMany: ['getMany', (db) => db.getMany(['k', 'j'])],
  scan: ['scan', (db) => db.scan({ gte: 'a' })],
  count: ['count', (db) => db.count()],
  iterate: ['openReader', async (db) => { for await (const _ of db.iterate()) {} }],
  'iterate chunk': ['scan', async (db) => { for await (const _ of db.iterate()) {} }],
  put: ['put', (db) => db.put('k', 1)],
  delete: ['delete', (db) => db.delete('k')],
  batch: ['batch', (db) => db.batch([{ type: 'put', key: 'k', value: 1 }])],
  deleteRange: ['deleteRange', (db) => db.deleteRange({ gte: 'x' })],
  transaction: ['openReader', (db) => db.transaction(async (tx) => tx.put('k', 2), { retries: 0 })],
  'transaction read': ['get', (db) => db.transaction(async (tx) => tx.get('k'), { retries: 0 })],
  'transaction commit': ['commitPlan', (db) => db.transaction(async (tx) => tx.put('k', 2), { retries: 0 })],
  snapshot: ['snapshot', (db) => db.snapshot()],
  snapshots: ['snapshots', (db) => db.snapshots()],
  dropSnapshot: ['dropSnapshot', (db) => db.dropSnapshot('x')],
  restore: ['restore', (db) => db.restore('x')],
  diff: ['diff', (db) => db.diff('x')],
  undo: ['undo', (db) => db.undo()],
  redo: ['redo', (db) => db.redo()],
  setRetention: ['setRetention', (db) => db.setRetention({ keepLast: 3 })],
  getRetention: ['getRetention', (db) => db.getRetention()],
  branch: ['branch', (db) => db.branch('b')],
  branches: ['branches', (db) => db.branches()],
  dropBranch: ['dropBranch', (db) => db.dropBranch('b')],
  'onBranch put': ['put', (db) => db.onBranch('main').put('k', 3)],
  subscribe: ['subscribe', (db) => db.subscribe({}, () => {})],
  checkpoint: ['checkpoint', (db) => db.checkpoint()],
  gc: ['gc', (db) => db.gc()],
  compact: ['compact', (db) => db.compact()],
  inspect: ['inspect', (db) => db.inspect()],
  space: ['space', (db) => db.space()],
  stats: ['stats', (db) => db.stats()],
  metrics: ['metrics', (db) => db.metrics()],
  verify: ['verify', (db) => db.verify({ onProgress: () => {} })],
  exportBackup: ['exportBackup', (db) => db.exportBackup()],
  importBackup: ['importBackup', (db) => db.importBackup(new Uint8Array(8))],
})`

/** Arms every error class on every call in turn and returns the mismatches. */
async function matrix(page: Page, tab: string): Promise<{ checked: number; bad: string[] }> {
  return page.evaluate(
    async ([CALLS, tab]) => {
      const w = window as any
      const calls = (0, eval)(CALLS) as Record<string, [string, (db: any) => Promise<unknown>]>
      const bad: string[] = []
      let checked = 0
      for (const name of Object.keys(w.cowdb.errorClasses)) {
        for (const [label, [method, call]] of Object.entries(calls)) {
          const message = `${tab}: ${label} threw ${name} #${checked}`
          await w.arm(method, name, message)
          for (const b of await w.expectError(() => call(w.db), name, message)) bad.push(`${label} ${name}: ${b}`)
          checked++
        }
      }
      return { checked, bad }
    },
    [CALLS, tab] as const,
  )
}

test('every method, every error class: class, name and message arrive intact in the owner tab and in a follower tab', async ({ page, context }) => {
  // reads must reach the engine, where the faults are: none answered from shared memory, in
  // either tab (a follower tab reads from its own copy of the owner's pages)
  await open(page, 'e1', undefined, { sharedCacheBytes: 0 })
  const follower = await context.newPage()
  await open(follower, 'e1', undefined, { sharedCacheBytes: 0 })
  expect(await follower.evaluate(() => (window as any).db.role())).toBe('follower')
  const owner = await matrix(page, 'owner')
  const other = await matrix(follower, 'follower')
  const classes = await page.evaluate(() => Object.keys((window as any).cowdb.errorClasses).length)
  expect(owner).toEqual({ checked: classes * 37, bad: [] })
  expect(other).toEqual({ checked: classes * 37, bad: [] })
  await follower.evaluate(() => (window as any).db.close())
  // close() is the owner's alone: each class once, on a fresh open each time
  const closes = await page.evaluate(async () => {
    const w = window as any
    await w.db.close()
    const bad: string[] = []
    for (const name of Object.keys(w.cowdb.errorClasses)) {
      w.db = await w.cowdb.openDB('e1', { worker: '/test/fault-worker.ts', sharedCacheBytes: 0 })
      const message = `close threw ${name}`
      await w.arm('close', name, message)
      for (const b of await w.expectError(() => w.db.close(), name, message)) bad.push(`close ${name}: ${b}`)
      // closed all the same: the files are free for the next open
    }
    return bad
  })
  expect(closes).toEqual([])
})

test('real errors keep their class in both tabs: bad key, bad value, bad range, missing snapshot, conflict, damaged backup, closed, locked', async ({ page, context }) => {
  await open(page, 'e2', null)
  const follower = await context.newPage()
  await open(follower, 'e2', null)
  const run = (p: Page) =>
    p.evaluate(async () => {
      const w = window as any
      const { db, cowdb } = w
      const valueError = (() => {
        try {
          cowdb.encodeValue(() => 1)
        } catch (e: any) {
          return e
        }
      })()
      const backup: Uint8Array = await db.exportBackup()
      const damaged = backup.slice()
      damaged[damaged.length >> 1] ^= 0xff
      await db.put('balance', 1)
      const cases: [string, () => Promise<unknown>][] = [
        ['TypeError', () => db.put({ not: 'a key' }, 1)],
        ['TypeError', () => db.scan({ gt: 1, gte: 2 })],
        ['TypeError', () => db.put('k', undefined)],
        [valueError.name, () => db.put('v', () => 1)],
        ['SnapshotNotFoundError', () => db.get('k', { snapshot: 'nope' })],
        ['SnapshotNotFoundError', () => db.restore('nope')],
        ['SnapshotNotFoundError', () => db.onBranch('nope').put('k', 1)],
        ['ConflictError', () => db.transaction(async (tx: any) => { const v = await tx.get('balance'); await db.put('balance', v + 100); tx.put('balance', v + 1) }, { retries: 0 })],
        ['CorruptionError', () => db.importBackup(damaged)],
      ]
      const out: string[] = []
      for (const [name, call] of cases) {
        const e = await call().then(() => null, (e: any) => e)
        const cls = cowdb[name] ?? (globalThis as any)[name]
        out.push(e && e instanceof cls && e.name === name && typeof e.message === 'string' && e.message.startsWith('cowdb: ') ? 'ok' : `${name}: got ${e?.constructor?.name} ${e?.name} ${e?.message}`)
      }
      return out
    })
  for (const p of [page, follower]) {
    const r = await run(p)
    expect(r).toEqual(r.map(() => 'ok'))
  }
  const ends = await page.evaluate(async () => {
    const w = window as any
    const locked = await w.cowdb.openDB('e2', { share: false, lockTimeout: 200 }).then(() => null, (e: any) => e)
    await w.db.close()
    const closed = await w.db.get('k').then(() => null, (e: any) => e)
    return [locked instanceof w.cowdb.LockedError && locked.name === 'LockedError', closed instanceof w.cowdb.ClosedError && closed.name === 'ClosedError']
  })
  expect(ends).toEqual([true, true])
})

test('a real full disk: QuotaExceededError keeps its class from a write in both tabs and from close(), and nothing committed is lost', async ({ page, context }) => {
  // no background checkpoint, none paced by the store's size (a fixed threshold): close() has one to do
  await open(page, 'e3', null, { checkpointDelayMs: 0, walCheckpointBytes: 64 << 20 })
  const follower = await context.newPage()
  await open(follower, 'e3', null)
  await page.evaluate(async () => {
    const db = (window as any).db
    await Promise.all(Array.from({ length: 300 }, (_, i) => db.put(`s${i}`, 'x'.repeat(1000))))
  })
  // Chromium's quota for this origin, cut to half of what it uses (CDP), so the next file growth fails
  const usage = (await page.evaluate(() => navigator.storage.estimate())).usage!
  const cdp = await context.newCDPSession(page)
  const origin = new URL(page.url()).origin
  await cdp.send('Storage.overrideQuotaForOrigin', { origin, quotaSize: Math.floor(usage / 2) })
  const bigPut = (p: Page) =>
    p.evaluate(async () => {
      const w = window as any
      const e = await w.db.put('big', new Uint8Array(3 << 20)).then(() => null, (e: any) => e)
      return e && [e instanceof w.cowdb.QuotaExceededError, e.name, /storage is full/.test(e.message)]
    })
  expect(await bigPut(follower)).toEqual([true, 'QuotaExceededError', true])
  expect(await bigPut(page)).toEqual([true, 'QuotaExceededError', true])
  // room again; more commits that only the WAL holds; then the disk fills before close() checkpoints them
  await cdp.send('Storage.overrideQuotaForOrigin', { origin })
  await follower.evaluate(async () => {
    const w = window as any
    await Promise.all(Array.from({ length: 300 }, (_, i) => w.db.put(`t${i}`, 'y'.repeat(1000))))
    await w.db.close()
  })
  await cdp.send('Storage.overrideQuotaForOrigin', { origin, quotaSize: Math.floor((await page.evaluate(() => navigator.storage.estimate())).usage! / 2) })
  const closed = await page.evaluate(async () => {
    const w = window as any
    const e = await w.db.close().then(() => null, (e: any) => e)
    return e && [e instanceof w.cowdb.QuotaExceededError, e.name, /storage is full/.test(e.message)]
  })
  expect(closed).toEqual([true, 'QuotaExceededError', true])
  await cdp.send('Storage.overrideQuotaForOrigin', { origin }) // the disk has room again
  const after = await page.evaluate(async () => {
    const w = window as any
    const db = await w.cowdb.openDB('e3')
    const s = await db.getMany(Array.from({ length: 300 }, (_, i) => `s${i}`))
    const t = await db.getMany(Array.from({ length: 300 }, (_, i) => `t${i}`))
    const out = { all: s.every((v: string) => v === 'x'.repeat(1000)) && t.every((v: string) => v === 'y'.repeat(1000)), big: await db.get('big'), ok: (await db.verify()).ok }
    await db.close()
    return out
  })
  expect(after).toEqual({ all: true, big: undefined, ok: true })
})

test("the engine's background failures reach the owner's tab and every follower as an error event, class kept", async ({ page, context }) => {
  await open(page, 'e4')
  const follower = await context.newPage()
  await open(follower, 'e4')
  for (const p of [page, follower]) {
    await p.evaluate(() => {
      const w = window as any
      w.seen = []
      w.db.addEventListener('error', (e: any) => w.seen.push([e.error instanceof w.cowdb.QuotaExceededError, e.error.name, e.error.message, e instanceof w.cowdb.DatabaseErrorEvent]))
    })
  }
  await page.evaluate(() => new BroadcastChannel('cowdb-test-faults').postMessage({ method: 'error-event', name: 'QuotaExceededError', message: 'checkpoint: storage is full' }))
  for (const p of [page, follower]) {
    await p.waitForFunction(() => (window as any).seen.length > 0)
    expect(await p.evaluate(() => (window as any).seen)).toEqual([[true, 'QuotaExceededError', 'checkpoint: storage is full', true]])
    expect(await p.evaluate(() => (window as any).db.get('k'))).toBeUndefined() // not fatal: the database goes on
  }
})
