// Importing existing data in Chromium: an IndexedDB object store (as Dexie keeps a table) and JSON
// Lines, each as one atomic commit with progress; a bad record anywhere imports nothing.
import { expect, openTestPage, test } from './fixtures'

test('importFromIndexedDB copies an object store in one commit, with progress; a bad record writes nothing', async ({ page }) => {
  await openTestPage(page)
  const r = await page.evaluate(async () => {
    const { openDB, importFromIndexedDB } = (window as any).cowdb
    // an app's existing data: a store with out-of-line keys and one with a key path, as Dexie makes
    await new Promise<void>((resolve, reject) => {
      const req = indexedDB.open('legacy', 1)
      req.onupgradeneeded = () => {
        const todos = req.result.createObjectStore('todos', { keyPath: 'id', autoIncrement: true })
        for (let i = 0; i < 500; i++) todos.add({ title: `todo ${i}`, done: i % 3 === 0, due: new Date(1_700_000_000_000 + i), tags: new Set(['a', String(i % 5)]) })
        const blobs = req.result.createObjectStore('blobs')
        blobs.put(new Uint8Array([1, 2, 3]), new Uint8Array([9, 9]).buffer)
        blobs.put('text', ['compound', 1])
      }
      req.onsuccess = () => (req.result.close(), resolve())
      req.onerror = () => reject(req.error)
    })
    const db = await openDB('imported')
    const progress: { phase: string; done: number; total: number }[] = []
    const result = await importFromIndexedDB(db, { database: 'legacy', store: 'todos', key: (k: number) => ['todo', k] }, { onProgress: (p: any) => progress.push(p) })
    const blobs = await importFromIndexedDB(db, { database: 'legacy', store: 'blobs' })
    const first = await db.get(['todo', 1])
    const count = await db.count({ gte: ['todo'], lt: ['todo', []] })
    const binary = await db.get(new Uint8Array([9, 9]))
    const compound = await db.get(['compound', 1])

    // atomic: a record whose key cowdb cannot store (an object) rejects the whole import
    let error = ''
    try {
      await importFromIndexedDB(db, { database: 'legacy', store: 'todos', key: (k: number) => (k === 250 ? ({ bad: true } as any) : ['again', k]) })
    } catch (e) {
      error = `${(e as Error).name}: ${(e as Error).message}`
    }
    const afterBad = await db.count({ gte: ['again'], lt: ['again', []] })
    let missing = ''
    await importFromIndexedDB(db, { database: 'no-such-db', store: 'x' }).catch((e: Error) => (missing = e.name))
    const stillMissing = (await indexedDB.databases()).some((d) => d.name === 'no-such-db')
    await db.close()
    return {
      result: result.count, blobs: blobs.count, count, afterBad, error, missing, stillMissing,
      first: { ...first, tags: [...first.tags], due: first.due instanceof Date ? first.due.getTime() : null },
      binary: binary ? [...binary] : null, compound,
      reads: progress.filter((p) => p.phase === 'read').map((p) => [p.done, p.total]),
      commitPhases: progress.filter((p) => p.phase === 'commit').map((p) => p.done),
    }
  })
  expect(r.result).toBe(500)
  expect(r.count).toBe(500)
  expect(r.first).toEqual({ id: 1, title: 'todo 0', done: true, due: 1_700_000_000_000, tags: ['a', '0'] })
  expect(r.blobs).toBe(2)
  expect(r.binary).toEqual([1, 2, 3])
  expect(r.compound).toBe('text')
  expect(r.reads).toHaveLength(500)
  expect(r.reads.at(-1)).toEqual([500, 500])
  expect(r.reads.every(([done], i) => done === i + 1)).toBe(true)
  expect(r.commitPhases).toEqual([0, 1])
  expect(r.error).toMatch(/^TypeError: /)
  expect(r.afterBad).toBe(0) // nothing of the failed import was written
  expect(r.missing).toBe('NotFoundError')
  expect(r.stillMissing).toBe(false) // asking for a missing database does not create it
})

test('importJsonLines reads text, Blobs and responses as one commit; a bad line writes nothing', async ({ page }) => {
  await openTestPage(page)
  const r = await page.evaluate(async () => {
    const { openDB, importJsonLines } = (window as any).cowdb
    const db = await openDB('jsonl')
    const lines = Array.from({ length: 2000 }, (_, i) => JSON.stringify({ key: ['n', i], value: { i, text: `note ${i} é` } })).join('\n') + '\n'
    const progress: [number, number][] = []
    const fromText = await importJsonLines(db, lines, { onProgress: (p: any) => p.phase === 'read' && progress.push([p.done, p.total]) })
    const fromBlob = await importJsonLines(db, new Blob(['{"id":"a","t":1}\n\n{"id":"b","t":2}']), { key: (rec: any) => ['rec', rec.id] })
    const fromResponse = await importJsonLines(db, new Response('{"key":"r","value":[1,2]}\n'))
    let error = ''
    try {
      await importJsonLines(db, '{"key":"ok1","value":1}\n{"key":"ok2","value":2}\nnot json\n')
    } catch (e) {
      error = `${(e as Error).name}: ${(e as Error).message}`
    }
    const out = {
      counts: [fromText.count, fromBlob.count, fromResponse.count],
      n: await db.count({ gte: ['n'], lt: ['n', []] }),
      last: await db.get(['n', 1999]),
      rec: await db.get(['rec', 'b']),
      r: await db.get('r'),
      ok1: await db.get('ok1'),
      error,
      bytes: new TextEncoder().encode(lines).length,
      progress,
    }
    await db.close()
    return out
  })
  expect(r.counts).toEqual([2000, 2, 1])
  expect(r.n).toBe(2000)
  expect(r.last).toEqual({ i: 1999, text: 'note 1999 é' })
  expect(r.rec).toEqual({ id: 'b', t: 2 })
  expect(r.r).toEqual([1, 2])
  expect(r.error).toMatch(/line 3 is not JSON/)
  expect(r.ok1).toBeUndefined() // the good lines before the bad one were not written either
  expect(r.progress.at(-1)).toEqual([r.bytes, r.bytes])
})
