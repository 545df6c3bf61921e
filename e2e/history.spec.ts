// Undo/redo and branches through the worker, surviving a reload (OPFS + IndexedDB, persistent profile).
import { expect, openTestPage, test } from './fixtures'

test('edit, undo twice, reload, redo once: the values are as a user expects', async ({ page }) => {
  await openTestPage(page)
  const before = await page.evaluate(async () => {
    const db = await (window as any).cowdb.openDB('h1', { retention: { keepLast: 50 } })
    await db.put('doc', 'Hello')
    await db.put('doc', 'Hello, world')
    await db.put('title', 'Greeting')
    const u1 = await db.undo() // title gone
    const u2 = await db.undo() // doc back to 'Hello'
    const seen = { doc: await db.get('doc'), title: await db.get('title'), undone: u1 !== null && u2 !== null }
    await db.close()
    return seen
  })
  expect(before).toEqual({ doc: 'Hello', title: undefined, undone: true })
  await page.reload()
  await expect(page.locator('body')).toHaveText('ready')
  const after = await page.evaluate(async () => {
    const db = await (window as any).cowdb.openDB('h1') // retention was kept with the store
    const reopened = { doc: await db.get('doc'), title: await db.get('title') }
    const redo = await db.redo()
    const redone = { doc: await db.get('doc'), title: await db.get('title') }
    const [main] = await db.branches()
    const report = await db.verify()
    await db.close()
    return { reopened, redone, redid: redo !== null, redoable: main.redoable, ok: report.ok }
  })
  expect(after).toEqual({ reopened: { doc: 'Hello', title: undefined }, redone: { doc: 'Hello, world', title: undefined }, redid: true, redoable: 1, ok: true })
})

test('a branch costs nothing, diverges on write, and keeps its own data across a reload', async ({ page }) => {
  await openTestPage(page)
  await page.evaluate(async () => {
    const db = await (window as any).cowdb.openDB('h2')
    await db.batch(Array.from({ length: 5000 }, (_, i) => ({ type: 'put', key: i, value: `v${i}` })))
    const before = (await db.stats()).pagesCreated
    await db.branch('draft')
    if ((await db.stats()).pagesCreated !== before) throw new Error('branch() copied pages')
    const draft = db.onBranch('draft')
    await draft.put(1, 'draft edit')
    await draft.delete(2)
    await db.put(3, 'main edit')
    await db.close()
  })
  await page.reload()
  await expect(page.locator('body')).toHaveText('ready')
  const got = await page.evaluate(async () => {
    const db = await (window as any).cowdb.openDB('h2')
    const draft = db.onBranch('draft')
    const out = {
      main: await db.getMany([1, 2, 3]),
      draft: await draft.getMany([1, 2, 3]),
      counts: [await db.count(), await draft.count()],
      names: (await db.branches()).map((b: { name: string }) => b.name),
    }
    await db.dropBranch('draft')
    out.names = (await db.branches()).map((b: { name: string }) => b.name)
    const gc = await db.gc()
    const space = await db.space()
    const compacted = await db.compact()
    const same = JSON.stringify(await db.getMany([1, 2, 3])) === JSON.stringify(out.main)
    await db.close()
    return { ...out, freed: gc.pagesFreed > 0, leaked: space.leaked, compacted: compacted.bytesAfter <= compacted.bytesBefore && same }
  })
  expect(got).toEqual({
    main: ['v1', 'v2', 'main edit'],
    draft: ['draft edit', undefined, 'v3'],
    counts: [5000, 4999],
    names: ['main'],
    freed: true,
    leaked: 0,
    compacted: true,
  })
})

test('subscribe follows commits, deleteRange and undo through the worker, and stops when ended', async ({ page }) => {
  await openTestPage(page)
  const got = await page.evaluate(async () => {
    const db = await (window as any).cowdb.openDB('h3', { retention: { keepLast: 10 } })
    await db.put('todo:1', 'milk')
    const events: { gen: number; changes: unknown[] }[] = []
    const off = await db.subscribe({ gte: 'todo:', lt: 'todo;' }, (e: any) => events.push({ gen: e.commit.generation, changes: e.changes }))
    await db.put('todo:2', 'eggs')
    await db.put('note', 'not a todo')
    await db.batch([{ type: 'put', key: 'todo:1', value: 'oat milk' }, { type: 'put', key: 'todo:3', value: 'bread' }])
    await db.deleteRange({ gte: 'todo:2', lt: 'todo:4' })
    await db.undo()
    await new Promise((r) => setTimeout(r, 50))
    off()
    await db.put('todo:4', 'after the end')
    await new Promise((r) => setTimeout(r, 50))
    await db.close()
    return events
  })
  expect(got.map((e) => e.changes)).toEqual([
    [{ key: 'todo:2', after: 'eggs' }],
    [{ key: 'todo:1', before: 'milk', after: 'oat milk' }, { key: 'todo:3', after: 'bread' }],
    [{ key: 'todo:2', before: 'eggs' }, { key: 'todo:3', before: 'bread' }],
    [{ key: 'todo:2', after: 'eggs' }, { key: 'todo:3', after: 'bread' }],
  ])
  const gens = got.map((e) => e.gen)
  expect(gens).toEqual([...gens].sort((a, b) => a - b))
})
