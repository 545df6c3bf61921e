// The client ↔ worker boundary in Chromium: a bad call fails alone, values are taken at call time
// and never detached under the caller, a worker that cannot serve makes openDB reject (never
// hang) with an error that says what to do (and cowdb's own worker that fails to load a second
// time in a page, as in WebKitGTK, is loaded through a blob module), and the database is an EventTarget.
import type { Page } from '@playwright/test'
import { expect, openTestPage, test } from './fixtures'

test('a value that cannot be stored, or a function or symbol as a key, fails its own call only', async ({ page }) => {
  await openTestPage(page)
  const r = await page.evaluate(async () => {
    const { openDB, encodeValue } = (window as any).cowdb
    const db = await openDB('b1')
    // the oracle: what the engine's own codec throws for that value
    const want = (() => {
      try {
        encodeValue({ f: () => 1 })
      } catch (e: any) {
        return { name: e.name, message: e.message, cls: e.constructor }
      }
    })()!
    const got = await Promise.allSettled([db.put('ok', 1), db.put('bad', { f: () => 1 }), db.put(() => 1, 2), db.put(Symbol('s'), 3), db.get(Symbol('g')), db.get('ok', { snapshot: () => 1 }), db.put('ok2', 2)])
    const reason = (s: PromiseSettledResult<unknown>) => (s.status === 'rejected' ? { name: (s.reason as Error).name, message: (s.reason as Error).message } : null)
    const out = {
      status: got.map((s) => s.status),
      value: { ...reason(got[1]!), sameClass: got[1]!.status === 'rejected' && (got[1] as PromiseRejectedResult).reason instanceof want.cls },
      want: { name: want.name, message: want.message },
      keyFn: reason(got[2]!),
      keySym: reason(got[3]!),
      getSym: reason(got[4]!),
      badOpt: reason(got[5]!),
      stored: [await db.get('ok'), await db.get('bad'), await db.get('ok2')],
      count: await db.count(),
    }
    await db.close()
    return out
  })
  expect(r.status).toEqual(['fulfilled', 'rejected', 'rejected', 'rejected', 'rejected', 'rejected', 'fulfilled'])
  expect(r.value).toEqual({ ...r.want, sameClass: true })
  for (const e of [r.keyFn, r.keySym, r.getSym]) expect(e!.name).toBe('TypeError')
  expect(r.keyFn!.message).toMatch(/key/)
  expect(r.badOpt!.name).toBe('TypeError')
  expect(r.badOpt!.message).toMatch(/get\(\).*cannot be sent/)
  expect(r.stored).toEqual([1, undefined, 2])
  expect(r.count).toBe(2)
})

test("a value is copied when the tick's calls are sent, and the caller's buffers are never detached", async ({ page }) => {
  await openTestPage(page)
  const r = await page.evaluate(async () => {
    const { openDB } = (window as any).cowdb
    const db = await openDB('b2')
    const obj = { n: 1 }
    const sameTick = { n: 1 }
    const p = db.put('obj', obj)
    const q = db.put('sameTick', sameTick)
    sameTick.n = 2 // same tick: the message is not sent yet, so this is what is stored (documented)
    await Promise.resolve() // the tick's message went
    obj.n = 3 // too late to matter
    await Promise.all([p, q])
    const big = new Uint8Array(1 << 20).map((_, i) => i % 251)
    const floats = new Float64Array(4096).map((_, i) => i / 3)
    const inBatch = new Uint8Array(64 * 1024).fill(7)
    await db.put('big', big)
    await db.put('floats', floats)
    await db.batch([{ type: 'put', key: 'inBatch', value: inBatch }])
    await db.transaction(async (tx: any) => tx.put('inTx', big))
    const backup: Uint8Array = await db.exportBackup()
    const copy = backup.slice()
    const other = await openDB('b2-other')
    await other.importBackup(backup)
    const intact = {
      big: big.byteLength === 1 << 20 && big[1000] === 1000 % 251,
      floats: floats.byteLength === 4096 * 8 && floats[3] === 1,
      inBatch: inBatch.byteLength === 64 * 1024 && inBatch[5] === 7,
      backup: backup.byteLength === copy.byteLength && backup.every((b, i) => b === copy[i]),
    }
    const read = await other.getMany(['obj', 'big', 'floats', 'inBatch', 'inTx', 'sameTick'])
    const readBack = {
      obj: read[0],
      sameTick: read[5],
      big: read[1].length === big.length && read[1].every((b: number, i: number) => b === big[i]),
      floats: read[2] instanceof Float64Array && read[2][3] === 1,
      inBatch: read[3].length === inBatch.length,
      inTx: read[4].length === big.length,
      // a value read comes back whole in its own buffer (transferred from the worker, not shared)
      ownBuffer: read[1].byteOffset === 0 && read[1].buffer.byteLength === read[1].byteLength,
    }
    await db.close()
    await other.close()
    return { intact, readBack }
  })
  expect(r.intact).toEqual({ big: true, floats: true, inBatch: true, backup: true })
  expect(r.readBack).toEqual({ obj: { n: 1 }, sameTick: { n: 2 }, big: true, floats: true, inBatch: true, inTx: true, ownBuffer: true })
})

test('a worker that cannot serve rejects openDB with a typed error that says what to do: 404, silent, unsupported', async ({ page }) => {
  await openTestPage(page)
  const r = await page.evaluate(async () => {
    const { openDB, WorkerError, UnsupportedError } = (window as any).cowdb
    const fail = (p: Promise<unknown>) => p.then(() => null, (e: any) => ({ name: e.name, message: e.message, worker: e instanceof WorkerError, unsupported: e instanceof UnsupportedError, missing: e.missing }))
    return {
      missing: await fail(openDB('b3', { worker: '/test/no-such-worker.js' })),
      silent: await fail(openDB('b3', { worker: new URL('/test/silent-worker.js', location.href), workerTimeout: 1500 })),
      unsupported: await fail(openDB('b3', { worker: '/test/unsupported-worker.ts' })),
      // and after all that, the real worker still opens it
      fine: await openDB('b3').then(async (db: any) => (await db.put('k', 1), await db.close(), 'opened')),
    }
  })
  expect(r.missing).toMatchObject({ name: 'WorkerError', worker: true })
  expect(r.missing!.message).toContain('/test/no-such-worker.js')
  expect(r.silent).toMatchObject({ name: 'WorkerError', worker: true })
  expect(r.silent!.message).toMatch(/did not answer within 1500 ms.*`worker` option/)
  expect(r.unsupported).toMatchObject({ name: 'UnsupportedError', unsupported: true })
  expect(r.unsupported!.missing).toEqual(['Web Locks (navigator.locks)'])
  expect(r.fine).toBe('opened')
})

/**
 * Reloads the page with every worker but a blob module's failing to load (as WebKitGTK's does
 * from a URL the tab loaded before); `window.made` lists the workers started ('url' or 'blob').
 */
async function reloadWithWorkersFailing(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const Real = Worker
    ;(window as any).made = []
    ;(window as any).Worker = class extends Real {
      constructor(url: string | URL, opts?: WorkerOptions) {
        ;(window as any).made.push(String(url).startsWith('blob:') ? 'blob' : 'url')
        super(String(url).startsWith('blob:') ? url : '/test/no-such-worker.js', opts)
      }
    }
  })
  await page.reload()
  await expect(page.locator('body')).toHaveText('ready')
}

test("where a second module worker from the same URL fails to load (WebKitGTK 2.50), openDB loads cowdb's worker through a blob module", async ({ page }) => {
  await openTestPage(page)
  const r = await page.evaluate(async () => {
    const { openDB, WorkerError } = (window as any).cowdb
    const first = await openDB('b4-first')
    await first.put('k', 1)
    await first.close()
    // from now on a worker from any URL but a blob fails to load, as WebKitGTK's second one does
    const Real = Worker
    const made: string[] = []
    ;(window as any).Worker = class extends Real {
      constructor(url: string | URL, opts?: WorkerOptions) {
        made.push(String(url).startsWith('blob:') ? 'blob' : 'url')
        super(String(url).startsWith('blob:') ? url : '/test/no-such-worker.js', opts)
      }
    }
    try {
      const second = await openDB('b4-second')
      await second.put('k', 2)
      const out = { value: await second.get('k'), role: await second.role(), made: [...made] }
      await second.close()
      // a worker given by the app is the app's: no second try
      const given = await openDB('b4-third', { worker: '/test/also-missing.js' }).then(() => null, (e: any) => ({ worker: e instanceof WorkerError, message: e.message }))
      return { ...out, given, madeAfterGiven: made.slice(out.made.length) }
    } finally {
      ;(window as any).Worker = Real
    }
  })
  expect(r).toMatchObject({ value: 2, role: 'leader', made: ['url', 'blob'] })
  expect(r.given).toMatchObject({ worker: true })
  expect(r.madeAfterGiven).toEqual(['url'])

  // and after a reload of the tab (WebKitGTK fails there too): the URL is kept for the tab
  await reloadWithWorkersFailing(page)
  const again = await page.evaluate(async () => {
    const db = await (window as any).cowdb.openDB('b4-second')
    const out = { value: await db.get('k'), made: (window as any).made }
    await db.close()
    return out
  })
  expect(again).toEqual({ value: 2, made: ['url', 'blob'] })
})

test("a Worker marked as one of cowdb's own (syncWorker()) that fails to load again after a reload is started again from its learnt URL", async ({ page }) => {
  await page.goto('/test/sync.html')
  await expect(page.locator('body')).toHaveText('ready')
  expect(await page.evaluate(async () => {
    const w = window as any
    const db = await w.cowdb.openDB('b5', { worker: w.cowdbSync.syncWorker() })
    await db.put('k', 'hosted')
    await db.close()
    return 'ok'
  })).toBe('ok')
  await reloadWithWorkersFailing(page)
  const r = await page.evaluate(async () => {
    const w = window as any
    const db = await w.cowdb.openDB('b5', { worker: w.cowdbSync.syncWorker() })
    const out = { value: await db.get('k'), made: w.made }
    // the worker it got is the sync worker: its owner answers that it hosts sync
    const hosts = await new Promise((resolve) => {
      const c = new BroadcastChannel('cowdb-hosts:b5')
      c.onmessage = (e) => e.data.t === 'hosts' && (c.close(), resolve(e.data.hosts))
      c.postMessage({ t: 'hosts?', from: 'probe' })
    })
    await db.close()
    return { ...out, hosts }
  })
  expect(r).toEqual({ value: 'hosted', made: ['url', 'blob'], hosts: ['sync'] })
})

test('the database is an EventTarget: close on close(); error then close, and calls rejecting with that error, when a takeover fails', async ({ page, context }) => {
  await openTestPage(page)
  await page.evaluate(async () => {
    const w = window as any
    w.db = await w.cowdb.openDB('b4', { worker: '/test/fault-worker.ts' })
    await w.db.put('a', 1)
  })
  const second = await context.newPage()
  await openTestPage(second)
  await second.evaluate(async () => {
    const w = window as any
    w.seen = []
    w.db = await w.cowdb.openDB('b4', { worker: '/test/fault-worker.ts' })
    w.db.addEventListener('error', (e: any) => w.seen.push(`error:${e.error.name}:${e.error instanceof w.cowdb.QuotaExceededError}`))
    w.db.addEventListener('close', () => w.seen.push('close'))
    // the next open of the engine in a fault worker fails: this tab's takeover will
    const faults = new BroadcastChannel('cowdb-test-faults')
    const acked = new Promise((r) => (faults.onmessage = r))
    faults.postMessage({ method: 'open', name: 'QuotaExceededError', message: 'no room to take over' })
    await acked
  })
  const closes = await page.evaluate(async () => {
    const w = window as any
    let n = 0
    w.db.addEventListener('close', () => n++)
    const pending = w.db.get('a')
    await w.db.close()
    await w.db.close() // a second close is the same close
    return { n, pending: await pending }
  })
  expect(closes).toEqual({ n: 1, pending: 1 })
  await second.waitForFunction(() => (window as any).seen.includes('close'))
  const after = await second.evaluate(async () => {
    const w = window as any
    const e = await w.db.get('a').catch((e: Error) => e)
    return { seen: w.seen, name: e.name, message: e.message, cls: e instanceof w.cowdb.QuotaExceededError }
  })
  expect(after).toEqual({ seen: ['error:QuotaExceededError:true', 'close'], name: 'QuotaExceededError', message: 'no room to take over', cls: true })
})
