// Tenants through the worker, on OPFS and IndexedDB (persistent profile): created, cloned,
// isolated (typed errors across the boundary), their own retention kept across a reload,
// labelled metrics, a tenant's backup imported into another database as a tenant, and a drop
// whose pages come back by the background gc.
import { expect, openTestPage, test } from './fixtures'

test('tenants: isolated streams, clones, own retention across a reload, backups, drop', async ({ page }) => {
  await openTestPage(page)
  const first = await page.evaluate(async () => {
    const { openDB, SnapshotNotFoundError } = (window as any).cowdb
    const db = await openDB('tn1', { checkpointDelayMs: 20 })
    await db.createTenant('acme', { retention: { keepLast: 5 } })
    await db.createTenant('beta')
    const acme = db.tenant('acme')
    const beta = db.tenant('beta')
    await acme.batch(Array.from({ length: 2000 }, (_, i) => ({ type: 'put', key: i, value: `acme ${i}` })))
    await beta.put(1, 'beta one')
    const snap = await acme.snapshot({ label: 'before' })
    await acme.put(1, 'acme edited')
    const refused: string[] = []
    for (const call of [() => beta.restore(snap.id), () => beta.get(1, { snapshot: snap.id }), () => db.get(1, { snapshot: snap.id }), () => beta.dropSnapshot(snap.id)]) {
      try {
        await call()
      } catch (e) {
        if (e instanceof SnapshotNotFoundError) refused.push((e as Error).name)
      }
    }
    const before = (await db.stats()).pagesCreated
    const clone = await acme.clone('gamma', { snapshot: snap.id })
    const copied = (await db.stats()).pagesCreated - before
    await acme.undo()
    const seen = {
      acme: await acme.get(1),
      beta: await beta.getMany([0, 1]),
      gamma: await clone.get(1),
      main: await db.get(1),
      lists: [(await acme.snapshots()).filter((s: any) => s.kind === 'named').length, (await beta.snapshots()).length, (await db.snapshots()).length],
      refused,
      copied,
      names: (await db.tenants()).map((t: any) => t.name),
      branches: (await db.branches()).map((b: any) => b.name),
    }
    await db.close()
    return seen
  })
  expect(first).toEqual({
    acme: 'acme 1',
    beta: [undefined, 'beta one'],
    gamma: 'acme 1',
    main: undefined,
    lists: [1, 0, 0],
    refused: ['SnapshotNotFoundError', 'SnapshotNotFoundError', 'SnapshotNotFoundError', 'SnapshotNotFoundError'],
    copied: 0,
    names: ['acme', 'beta', 'gamma'],
    branches: ['main'],
  })

  await page.reload()
  await expect(page.locator('body')).toHaveText('ready')
  const second = await page.evaluate(async () => {
    const { openDB } = (window as any).cowdb
    const db = await openDB('tn1', { checkpointDelayMs: 20 })
    const acme = db.tenant('acme')
    const redo = await acme.redo()
    const infos = await db.tenants({ space: true })
    const metrics: string = await db.metrics()
    // acme's backup into another database, as a tenant created by the import
    const backup = await acme.exportBackup({ keepSnapshot: true })
    const other = await openDB('tn2')
    await other.tenant('restored').importBackup(backup)
    const restored = { count: await other.tenant('restored').count(), one: await other.tenant('restored').get(1), names: (await other.tenants()).map((t: any) => t.name) }
    await other.close()
    // dropping acme: what only it held comes back by the background gc (no gc() call)
    const reachable = (await db.space()).reachable
    const runs = (await db.stats()).gcRuns
    await db.dropTenant('acme')
    for (let i = 0; i < 300 && (await db.stats()).gcRuns <= runs; i++) await new Promise((r) => setTimeout(r, 20))
    const space = await db.space()
    const gamma = await db.tenant('gamma').get(1)
    await db.close()
    return {
      redid: redo !== null,
      own: infos.map((t: any) => [t.name, t.ownRetention, t.retention.keepLast]),
      acmeBytes: infos[0].bytes > 0,
      labelled: /cow_tenant_root_updates_total\{tenant="acme"\} \d+/.test(metrics),
      restored,
      shrank: space.reachable < reachable,
      leaked: space.leaked,
      reachableButFree: space.reachableButFree,
      gamma,
    }
  })
  expect(second).toEqual({
    redid: true,
    own: [['acme', true, 5], ['beta', false, 0], ['gamma', false, 0]],
    acmeBytes: true,
    labelled: true,
    restored: { count: 2000, one: 'acme edited', names: ['restored'] },
    shrank: true,
    leaked: 0,
    reachableButFree: 0,
    gamma: 'acme 1',
  })
})
