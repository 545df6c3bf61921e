// The browser runtime end to end: worker + OPFS + IndexedDB, in a persistent Chromium profile.
import { expect, openTestPage, test } from './fixtures'

test('10,000 keys, a snapshot, half overwritten and deleted, reload: head and snapshot read back exactly', async ({ page }) => {
  await openTestPage(page)
  const snapId = await page.evaluate(async () => {
    const db = await (window as any).cowdb.openDB('t1')
    const puts = []
    for (let i = 0; i < 10_000; i++) puts.push(db.put(`k${i}`, { i, text: 'v' + i }))
    await Promise.all(puts)
    const s = await db.snapshot({ label: 'full' })
    const more = []
    for (let i = 0; i < 10_000; i += 2) more.push(i % 4 === 0 ? db.put(`k${i}`, { i, text: 'new' }) : db.delete(`k${i}`))
    await Promise.all(more)
    await db.close()
    return s.id
  })
  await page.reload()
  await expect(page.locator('body')).toHaveText('ready')
  const bad = await page.evaluate(async (id) => {
    const db = await (window as any).cowdb.openDB('t1')
    const wrong: string[] = []
    const keys = Array.from({ length: 10_000 }, (_, i) => `k${i}`)
    const head = await db.getMany(keys)
    const snap = await db.getMany(keys, { snapshot: id })
    keys.forEach((k, i) => {
      const expHead = i % 2 === 1 ? { i, text: 'v' + i } : i % 4 === 0 ? { i, text: 'new' } : undefined
      if (JSON.stringify(head[i]) !== JSON.stringify(expHead)) wrong.push(`head ${k}`)
      if (JSON.stringify(snap[i]) !== JSON.stringify({ i, text: 'v' + i })) wrong.push(`snap ${k}`)
    })
    if ((await db.count()) !== 7500) wrong.push('count')
    const report = await db.verify()
    if (!report.ok) wrong.push('verify: ' + report.errors[0].message)
    await db.close()
    return wrong
  }, snapId)
  expect(bad).toEqual([])
})

test('reads at a snapshot while writes continue give the snapshot values', async ({ page }) => {
  await openTestPage(page)
  const result = await page.evaluate(async () => {
    const db = await (window as any).cowdb.openDB('t2')
    await db.batch(Array.from({ length: 1000 }, (_, i) => ({ type: 'put', key: i, value: 0 })))
    const s = await db.snapshot()
    const reads: Promise<unknown>[] = []
    const writes: Promise<unknown>[] = []
    for (let round = 1; round <= 20; round++) {
      for (let i = 0; i < 1000; i += 50) writes.push(db.put(i, round))
      reads.push(db.scan({ snapshot: s.id, limit: 2000 }))
    }
    await Promise.all(writes)
    const snapshots = (await Promise.all(reads)) as [number, number][][]
    const allZero = snapshots.every((rows) => rows.length === 1000 && rows.every(([, v]) => v === 0))
    const head = await db.get(0)
    await db.close()
    return { allZero, head }
  })
  expect(result).toEqual({ allZero: true, head: 20 })
})

test('errors arrive with their names and a bad call leaves the db usable', async ({ page }) => {
  await openTestPage(page)
  const names = await page.evaluate(async () => {
    const { openDB, ConflictError } = (window as any).cowdb
    const db = await openDB('t3')
    const out: Record<string, string> = {}
    const name = (p: Promise<unknown>) => p.then(() => 'resolved', (e: Error) => `${e.name}|${e.constructor.name}`)
    out.badKey = await name(db.put({ not: 'a key' }, 1))
    out.undefinedValue = await name(db.put('k', undefined))
    out.noSnapshot = await name(db.get('k', { snapshot: 'nope' }))
    out.badRange = await name(db.scan({ gt: 1, gte: 2 }))
    // a bad call in the same tick as good ones fails alone
    const [a, b, c] = await Promise.allSettled([db.put('x', 1), db.put(null, 2), db.put('y', 3)])
    out.batch = [a.status, b.status, c.status].join(',')
    out.after = String(await db.get('x')) + String(await db.get('y'))
    // an optimistic transaction conflict
    await db.put('balance', 10)
    out.conflict = await name(
      db.transaction(async (tx: any) => {
        const v = await tx.get('balance')
        await db.put('balance', 99) // someone else writes what we read
        tx.put('balance', v + 1)
      }, { retries: 0 }),
    )
    out.instance = String((await db.transaction(async () => { throw new ConflictError('x') }).catch((e: Error) => e)) instanceof ConflictError)
    await db.close()
    out.closed = await name(db.get('x'))
    return out
  })
  expect(names).toEqual({
    badKey: 'TypeError|TypeError',
    undefinedValue: 'TypeError|TypeError',
    noSnapshot: 'SnapshotNotFoundError|SnapshotNotFoundError',
    badRange: 'TypeError|TypeError',
    batch: 'fulfilled,rejected,fulfilled',
    after: '13',
    conflict: 'ConflictError|ConflictError',
    instance: 'true',
    closed: 'ClosedError|ClosedError',
  })
})

test('with share: false a second openDB of the same name waits, then gets LockedError; after close it opens', async ({ page }) => {
  await openTestPage(page)
  const r = await page.evaluate(async () => {
    const { openDB } = (window as any).cowdb
    const first = await openDB('t4', { share: false })
    await first.put('a', 1)
    const second = await openDB('t4', { share: false, lockTimeout: 300 }).then(() => 'opened', (e: Error) => e.name)
    await first.close()
    const third = await openDB('t4', { share: false, lockTimeout: 2000 })
    const v = await third.get('a')
    await third.close()
    return { second, v }
  })
  expect(r).toEqual({ second: 'LockedError', v: 1 })
})

test('worker terminated in a stream of writes and checkpoints: every acknowledged write is there, verify passes', async ({ page }) => {
  await openTestPage(page)
  const acked = await page.evaluate(async () => {
    // a 16 KiB WAL threshold makes checkpoints run all the time, so the kill lands in one too
    const db = await (window as any).cowdb.openDB('t5', { walCheckpointBytes: 16 * 1024, checkpointDelayMs: 0 })
    const acked: number[] = []
    let i = 0
    const writer = (async () => {
      for (;;) {
        const n = i++
        await db.put(`w${n}`, { n, pad: 'p'.repeat(n % 3 === 0 ? 5000 : 50) })
        acked.push(n)
      }
    })()
    writer.catch(() => {})
    await new Promise((r) => setTimeout(r, 1500))
    const stats = await db.stats()
    db.terminate()
    return { acked, checkpoints: stats.checkpoints }
  }).then((r: { acked: number[]; checkpoints: number }) => {
    expect(r.checkpoints).toBeGreaterThan(3)
    return r.acked
  })
  expect(acked.length).toBeGreaterThan(10)
  const check = await page.evaluate(async (acked) => {
    const db = await (window as any).cowdb.openDB('t5')
    const vals = await db.getMany(acked.map((n: number) => `w${n}`))
    const missing = acked.filter((n: number, k: number) => vals[k]?.n !== n)
    const report = await db.verify()
    const stats = await db.stats()
    await db.close()
    return { missing, ok: report.ok, replayed: stats.recoveredRecords }
  }, acked)
  expect(check.missing).toEqual([])
  expect(check.ok).toBe(true)
})

test('10,000 un-awaited puts share messages and flushes and are all there after reopen', async ({ page }) => {
  await openTestPage(page)
  const r = await page.evaluate(async () => {
    const { openDB } = (window as any).cowdb
    const db = await openDB('t6')
    const t0 = performance.now()
    const commits = await Promise.all(Array.from({ length: 10_000 }, (_, i) => db.put(i, i * 2)))
    const ms = performance.now() - t0
    const gens = new Set(commits.map((c: any) => c.generation)).size
    await db.close()
    const again = await openDB('t6')
    const n = await again.count()
    const sample = await again.get(9999)
    await again.close()
    return { gens, n, sample, ms }
  })
  expect(r.gens).toBe(10_000)
  expect(r.n).toBe(10_000)
  expect(r.sample).toBe(19_998)
})
