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

test('the playground lists tenants in their own group and works on one: its own data, snapshots and clones', async ({ page }) => {
  const FOLLOW = { timeout: 5_000 }
  const errors: string[] = []
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()))
  page.on('pageerror', (e) => errors.push(String(e)))
  await page.goto('/')
  await expect(page.locator('#status')).toHaveClass(/ok/, { timeout: 30_000 })
  await expect(page.locator('#count')).toHaveText('3 keys')
  await page.click('#tab-history')
  await page.click('#new-tenant')
  await page.fill('#ask-input', 'main')
  await page.keyboard.press('Enter')
  await expect(page.locator('#ask-error')).toHaveText(/main head/)
  await page.fill('#ask-input', 'acme')
  await page.keyboard.press('Enter')
  await expect(page.locator('#branch-select')).toHaveValue('acme', FOLLOW)
  const tenants = page.locator('section.head-group[aria-label=Tenants]')
  await expect(tenants.locator('li', { hasText: 'acme' })).toContainText('0 keys', FOLLOW)

  // writes go to the tenant; main's data is untouched; its snapshot is its own
  await page.click('#tab-explore')
  await expect(page.locator('#count')).toHaveText('0 keys', FOLLOW)
  await page.fill('#key', 'acme:1')
  await page.fill('#value', '"only acme"')
  await page.click('#put')
  await expect(page.locator('#rows')).toContainText('acme:1', FOLLOW)
  await page.click('#snap')
  await page.fill('#ask-input', 'acme v1')
  await page.keyboard.press('Enter')
  expect(await page.evaluate(() => (window as any).db.get('acme:1'))).toBeUndefined()
  expect(await page.evaluate(async () => (await (window as any).db.snapshots()).some((s: any) => s.label === 'acme v1'))).toBe(false)
  await page.click('#tab-history')
  await expect(tenants.locator('li', { hasText: 'acme' })).toContainText('1 key · 1 snapshot', FOLLOW)
  await expect(page.locator('section.head-group[aria-label=Branches]')).not.toContainText('acme')

  // "Branch from here" on a tenant clones it into a new tenant
  await page.click('#branch-here')
  await page.fill('#ask-input', 'acme-copy')
  await page.keyboard.press('Enter')
  await expect(page.locator('#branch-select')).toHaveValue('acme-copy', FOLLOW)
  await expect(tenants.locator('li', { hasText: 'acme-copy' })).toContainText('1 key', FOLLOW)

  // a tenant made from the console shows up by itself; dropping one asks first
  await page.evaluate(() => (window as any).db.createTenant('from-console'))
  await expect(page.locator('#branch-select option[value=from-console]')).toHaveCount(1, FOLLOW)
  await tenants.locator('li', { hasText: 'acme-copy' }).getByRole('button', { name: 'drop tenant acme-copy' }).click()
  await page.locator('dialog#ask').getByRole('button', { name: 'Drop tenant' }).click()
  await expect(tenants).not.toContainText('acme-copy', FOLLOW)
  await expect(page.locator('#branch-select')).toHaveValue('main')
  expect(errors).toEqual([])
})
