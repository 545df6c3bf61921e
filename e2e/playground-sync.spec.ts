// `npm start -- --sync`: the start script runs a sync server on PGlite beside the playground and
// hands the page its URL and a token; the page syncs its database and shows a Sync card. A put in
// the page reaches the server (read back with dbctl --sync-url, at the sequence before and after),
// and stopping the script stops both servers. Without --sync the card stays hidden.
// With COWDB_SCREENSHOTS=1 the card is saved under docs/screenshots/.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { rmSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { collectErrors, expect, test } from './fixtures'
import { freePort } from './ports'
import { signToken } from '../packages/sync/src/server/auth'
import { pgliteDir } from '../packages/sync/test/process'

const repo = fileURLToPath(new URL('..', import.meta.url))
const SECRET = 'e2e-playground-secret-0123456789'
const SHOTS = process.env.COWDB_SCREENSHOTS === '1' ? fileURLToPath(new URL('../docs/screenshots/', import.meta.url)) : undefined
// the start script's playground and sync server listen on ports free when the suite begins
let PORT = 0
let SYNC_PORT = 0
let origin = ''
let dbUrl = ''
let start: ChildProcess
let output = ''
let dir = ''
const answers = (url: string) => fetch(url).then((r) => r.status > 0, () => false)

test.beforeAll(async () => {
  test.setTimeout(240_000)
  PORT = await freePort()
  SYNC_PORT = await freePort()
  origin = `http://localhost:${PORT}`
  dbUrl = `http://127.0.0.1:${SYNC_PORT}/db/playground`
  expect(await answers(origin)).toBe(false)
  dir = await pgliteDir()
  start = spawn(process.execPath, ['scripts/start.mjs', '--sync'], {
    cwd: repo,
    env: { ...process.env, PORT: String(PORT), COWDB_SYNC_PORT: String(SYNC_PORT), COWDB_SYNC_DATA: dir, COWDB_SYNC_SECRET: SECRET },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  start.stdout!.on('data', (d) => (output += d))
  start.stderr!.on('data', (d) => (output += d))
  await expect.poll(() => answers(origin), { timeout: 200_000, message: `the playground did not come up:\n${output}` }).toBe(true)
  expect(output).toContain(`sync server on http://127.0.0.1:${SYNC_PORT}`)
})

test.afterAll(async () => {
  if (!origin) return
  if (start && start.exitCode === null) {
    const exited = new Promise((r) => start.once('exit', r))
    start.kill('SIGTERM')
    await exited
  }
  // both servers went with the script
  expect(await answers(`http://127.0.0.1:${SYNC_PORT}/db/playground/head`)).toBe(false)
  expect(await answers(origin)).toBe(false)
  if (dir) rmSync(dir, { recursive: true, force: true })
})

/** dbctl --sync-url against the script's server, from the built package (npm start built it). */
function dbctl(...argv: string[]) {
  const r = spawnSync(process.execPath, ['packages/node/bin/dbctl.js', '--sync-url', dbUrl, '--token', signToken(SECRET, { db: 'playground', access: 'read' }), ...argv], { cwd: repo, encoding: 'utf8' })
  return { code: r.status, out: r.stdout.trim(), err: r.stderr.trim() }
}

test('the playground started with --sync syncs its database and shows the status', async ({ page }) => {
  await page.setViewportSize({ width: 1280, height: 800 })
  const errors = collectErrors(page)
  await page.goto(origin)
  await expect(page.locator('#status')).toHaveClass(/ok/, { timeout: 30_000 })
  const card = page.locator('#sync-card')
  await expect(card).toBeVisible()
  await expect(page.locator('#sync-where')).toHaveText(`127.0.0.1:${SYNC_PORT}/db/playground`)
  // the first visit's seed goes up first
  await expect(page.locator('#sync-state')).toHaveText('synced', { timeout: 30_000 })
  const seq = async () => Number((await page.locator('#sync-seq').textContent())!.replace(/,/g, ''))
  await expect.poll(seq).toBeGreaterThan(0)
  const before = await seq()
  expect(dbctl('get', '--key', 'from-page').code).toBe(1)

  await page.fill('#key', 'from-page')
  await page.fill('#value', '{"synced":true}')
  await page.click('#put')
  await expect.poll(seq, { timeout: 30_000 }).toBeGreaterThan(before)
  await expect(page.locator('#sync-state')).toHaveText('synced', { timeout: 30_000 })
  const after = await seq()
  await expect(page.locator('#sync-head')).toHaveText(after.toLocaleString('en-US'))
  await expect(page.locator('#sync-conflicts')).toHaveText('0')

  // the server holds the put from the sequence the page merged, and not before
  expect(dbctl('get', '--key', 'from-page', '--at', String(after))).toEqual({ code: 0, out: '{"synced":true}', err: '' })
  expect(dbctl('get', '--key', 'from-page', '--at', String(before))).toEqual({ code: 1, out: '', err: 'dbctl: not found' })
  expect(JSON.parse(dbctl('head').out)).toEqual({ seq: after })
  const keys = dbctl('scan', '--at', String(after)).out.split('\n').map((l) => JSON.parse(l).key)
  expect(keys).toEqual([...(await page.evaluate(async () => (await (window as any).db.scan({})).map(([k]: [string]) => k)))])

  await page.click('#sync-now')
  await expect(page.locator('#toast')).toContainText(`synced up to sequence ${after.toLocaleString('en-US')}`)
  await expect(page.locator('#sync-state')).toHaveText('synced')
  if (SHOTS) {
    await page.evaluate(() => document.getElementById('toast')!.hidden = true)
    await page.screenshot({ path: `${SHOTS}sync-1280x800.png` })
  }

  // "↶ My edit" undoes this device's last edit (the put) through the sync handle; the undo syncs
  await page.click('#sync-undo')
  await expect(page.locator('#toast')).toContainText("undid this device's last edit: 1 key set back")
  await expect.poll(seq, { timeout: 30_000 }).toBeGreaterThan(after)
  await expect(page.locator('#sync-state')).toHaveText('synced', { timeout: 30_000 })
  expect(dbctl('get', '--key', 'from-page', '--at', String(await seq())).code).toBe(1)
  expect(await page.evaluate(() => (window as any).db.get('from-page'))).toBeUndefined()
  expect(errors).toEqual([])
})

test('without --sync the playground shows no Sync card and does not load the sync client', async ({ page }) => {
  const loaded: string[] = []
  page.on('request', (r) => {
    if (/packages\/sync\//.test(r.url())) loaded.push(r.url())
  })
  await page.goto('/') // the config's Vite, started without the sync variables
  await expect(page.locator('#status')).toHaveClass(/ok/, { timeout: 30_000 })
  await expect(page.locator('#count')).toHaveText('3 keys')
  await expect(page.locator('#sync-card')).toBeHidden()
  expect(loaded).toEqual([])
})
