// Backups made in the browser: exported with progress events, imported into another database
// (full, then incremental), and read by the Node CLI (`dbctl --db backup-file`).
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect, openTestPage, test } from './fixtures'

const dbctl = fileURLToPath(new URL('../packages/node/dist/dbctl.js', import.meta.url))

test('a backup exported in Chromium imports into another database and reads with dbctl', async ({ page }) => {
  await openTestPage(page)
  const got = await page.evaluate(async () => {
    const { openDB } = (window as any).cowdb
    const src = await openDB('backup-src')
    await src.batch(Array.from({ length: 20_000 }, (_, i) => ({ type: 'put', key: `k${String(i).padStart(5, '0')}`, value: { i } })))
    const progress: { done: number; total: number }[] = []
    const full: Uint8Array = await src.exportBackup({ keepSnapshot: true, onProgress: (p: any) => progress.push(p) })
    const base = (await src.snapshots()).at(-1).id
    await src.put('k00001', 'changed')
    await src.deleteRange({ gte: 'k00100', lt: 'k00200' })
    const inc: Uint8Array = await src.exportBackup({ since: base })
    const dst = await openDB('backup-dst')
    await dst.importBackup(full)
    await dst.importBackup(inc)
    const same = JSON.stringify(await dst.scan({ limit: 1e6 })) === JSON.stringify(await src.scan({ limit: 1e6 }))
    await src.close()
    await dst.close()
    return { full: Array.from(full), base, progress, incBytes: inc.length, same }
  })
  expect(got.same).toBe(true)
  expect(got.progress.length).toBeGreaterThan(1)
  expect(got.progress.at(-1)).toMatchObject({ done: 20_000, total: 20_000 })
  expect(got.incBytes).toBeLessThan(got.full.length / 20)

  const dir = mkdtempSync(join(tmpdir(), 'cowdb-backup-'))
  try {
    const file = join(dir, 'browser.cowdb')
    writeFileSync(file, Uint8Array.from(got.full))
    const r = spawnSync(process.execPath, [dbctl, 'get', '--db', file, '--key', 'k00001', '--snapshot', got.base], { encoding: 'utf8' })
    expect(r.stderr).toBe('')
    expect(JSON.parse(r.stdout)).toEqual({ i: 1 })
    const v = spawnSync(process.execPath, [dbctl, 'verify', '--db', file], { encoding: 'utf8' })
    expect(JSON.parse(v.stdout).ok).toBe(true)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
