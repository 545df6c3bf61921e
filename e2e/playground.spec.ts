// The playground follows the database whoever writes, travels in time with the slider, generates
// data with a progress bar and cancel, asks before deleting everything, and leaves no backup
// snapshot behind unless asked. Each test gets a fresh persistent profile (a fresh database).
import type { Page } from '@playwright/test'
import { collectErrors, expect, test } from './fixtures'

const FOLLOW = { timeout: 5_000 } // "without a reload": the page must catch up within a few seconds

async function openPlayground(page: Page): Promise<void> {
  await page.goto('/')
  await expect(page.locator('#status')).toHaveClass(/ok/, { timeout: 30_000 })
  await expect(page.locator('#count')).toHaveText('3 keys') // the first visit's seed
}
const engineValue = (page: Page, label: string) => page.locator('#stats dt', { hasText: label }).locator('xpath=following-sibling::dd[1]')

test('loads clean, exposes cowdb and db, writes from the form, refuses an empty key, draws the copied path', async ({ page }) => {
  const errors = collectErrors(page)
  await openPlayground(page)
  expect(await page.evaluate(() => typeof (window as any).cowdb.openDB)).toBe('function')
  expect(await page.evaluate(() => (window as any).db.count())).toBe(3)

  await page.fill('#key', 'hello')
  await page.fill('#value', '{"from":"test"}')
  await page.click('#put')
  await expect(page.locator('#toast')).toContainText('put "hello"')
  expect(await page.evaluate(() => (window as any).db.get('hello'))).toEqual({ from: 'test' })
  await expect(page.locator('#rows')).toContainText('hello')
  await expect(page.locator('#toast')).toBeHidden({ timeout: 10_000 }) // feedback goes away

  // an empty key: a message at the field, nothing written
  const generation = await page.evaluate(async () => (await (window as any).db.stats()).generation)
  await page.fill('#key', '')
  await page.fill('#value', 'anything')
  await page.click('#put')
  await expect(page.locator('#key-error')).toHaveText(/empty key/)
  await expect(page.locator('#key')).toHaveAttribute('aria-invalid', 'true')
  expect(await page.evaluate(async () => (await (window as any).db.stats()).generation)).toBe(generation)
  expect(await page.evaluate(() => (window as any).db.get(''))).toBeUndefined()

  // the pages card: after 1,000 keys and one more put, one root-to-leaf path is new, the rest shared
  await page.evaluate(() => (window as any).db.batch(Array.from({ length: 1000 }, (_, i) => ({ type: 'put', key: `fruit:${String(i).padStart(4, '0')}`, value: { i } }))))
  await expect(page.locator('#count')).toHaveText('1,004 keys', FOLLOW)
  await page.fill('#key', 'hello')
  await page.fill('#value', '{"from":"test, again"}')
  await page.click('#put')
  await expect(page.locator('#pages-legend')).toHaveText(/^2 of \d+ pages drawn are not in commit #\d+ \(green\): written by this commit/, FOLLOW)
  expect(await page.locator('#pages .page.shared').count()).toBeGreaterThan(5)
  expect(await page.locator('#pages .page.fresh').count()).toBe(2)
  await expect(page.locator('#diff-title')).toContainText('1 change', FOLLOW)
  await expect(page.locator('#diff')).toContainText('test, again')
  expect(errors).toEqual([])
})

test('a write from the console and from a second tab appears in the data, engine and history cards without a reload', async ({ page, context }) => {
  const errors = collectErrors(page)
  await openPlayground(page)
  await page.click('#tab-engine')
  await expect(engineValue(page, 'keys at the head of main')).toHaveText('3', FOLLOW)
  await page.click('#tab-explore')

  // the console: window.db
  await page.evaluate(() => (window as any).db.put('from-console', { n: 1 }))
  await expect(page.locator('#rows')).toContainText('from-console', FOLLOW)
  await expect(page.locator('#count')).toHaveText('4 keys', FOLLOW)
  await expect(page.locator('#feed')).toContainText('from-console', FOLLOW)
  const generation = await page.evaluate(async () => (await (window as any).db.stats()).generation)
  await page.click('#tab-engine')
  await expect(engineValue(page, 'keys at the head of main')).toHaveText('4', FOLLOW)
  await expect(engineValue(page, 'generation (commits ever)')).toHaveText(String(generation), FOLLOW)
  await page.click('#tab-history')
  await expect(page.locator('#history li').first()).toContainText(`#${generation}`, FOLLOW)

  // a second tab of the same profile shares the database through this one
  const second = await context.newPage()
  const secondErrors = collectErrors(second)
  await second.goto('/')
  await expect(second.locator('#status')).toHaveText('shared with another tab', { timeout: 30_000 })
  await expect(second.locator('#rows')).toContainText('from-console', FOLLOW)
  await second.evaluate(async () => {
    const db = (window as any).db
    await db.put('from-tab-2', { n: 2 })
    await db.snapshot({ label: 'taken in tab 2' })
  })
  await expect(page.locator('#snapshots')).toContainText('taken in tab 2', FOLLOW)
  await expect(page.locator('#history li').first()).toContainText(`#${generation + 1}`, FOLLOW)
  await page.click('#tab-engine')
  await expect(engineValue(page, 'keys at the head of main')).toHaveText('5', FOLLOW)
  await expect(engineValue(page, 'snapshots kept')).toContainText('2 named', FOLLOW) // 'first look' and tab 2's
  await page.click('#tab-explore')
  await expect(page.locator('#rows')).toContainText('from-tab-2', FOLLOW)
  await expect(page.locator('#feed')).toContainText('from-tab-2', FOLLOW)

  // and the other way round: a write in this tab shows in the second one
  await page.fill('#key', 'from-tab-1')
  await page.fill('#value', '1')
  await page.click('#put')
  await expect(second.locator('#rows')).toContainText('from-tab-1', FOLLOW)

  // the owner's tab closes: the second one takes over, says so, and its pill follows
  await page.close()
  await expect(second.locator('#status')).toHaveText('this tab owns the database', { timeout: 15_000 })
  await expect(second.locator('#toast')).toContainText('took over', FOLLOW)
  await second.evaluate(() => (window as any).db.put('after-takeover', true))
  await expect(second.locator('#rows')).toContainText('after-takeover', FOLLOW)
  expect(errors).toEqual([])
  expect(secondErrors).toEqual([])
})

test('the slider moves the data, the diff and the tree to a snapshot’s values, and back to now', async ({ page }) => {
  const errors = collectErrors(page)
  await openPlayground(page)
  await page.evaluate(async () => {
    const db = (window as any).db
    await db.put('doc', 'first draft')
    await db.snapshot({ label: 'v1' })
    await db.put('doc', 'second draft')
    await db.put('extra', 42)
  })
  const doc = page.locator('#rows tr', { hasText: 'doc' })
  await expect(doc).toContainText('second draft', FOLLOW)
  await expect(page.locator('#tl-count')).toContainText('2 snapshots', FOLLOW)

  // keyboard on the slider: back until the snapshot 'v1' is the viewed point
  await page.locator('#slider').focus()
  for (let i = 0; i < 10 && !((await page.locator('#at-label').textContent()) ?? '').includes('v1'); i++) await page.keyboard.press('ArrowLeft')
  await expect(page.locator('#at-label')).toHaveText('snapshot “v1”')
  await expect(doc).toContainText('first draft', FOLLOW)
  await expect(page.locator('#rows')).not.toContainText('extra')
  await expect(page.locator('#viewing')).toContainText('read-only')
  await expect(page.locator('#restore')).toBeEnabled()

  // the diff follows: from here to now
  await page.check('input[name=compare][value=head]')
  await expect(page.locator('#diff-title')).toContainText('“v1” → now: 2 changes', FOLLOW)
  await expect(page.locator('#diff')).toContainText('second draft')
  await page.check('input[name=compare][value=previous]')

  // back to now with End
  await page.locator('#slider').focus()
  await page.keyboard.press('End')
  await expect(page.locator('#at-badge')).toHaveText('now')
  await expect(doc).toContainText('second draft', FOLLOW)

  // restore from the timeline: click v1's mark, then Restore; the head has the old values, Undo reverts it
  await page.locator('.mark.named', { has: page.locator('xpath=self::*[contains(@title, "v1")]') }).click()
  await expect(doc).toContainText('first draft', FOLLOW)
  await page.click('#restore')
  await expect(page.locator('#at-badge')).toHaveText('now')
  await expect(doc).toContainText('first draft', FOLLOW)
  expect(await page.evaluate(() => (window as any).db.get('extra'))).toBeUndefined()
  await page.click('#undo')
  await expect(page.locator('#toast')).toContainText('undid one commit')
  await expect(doc).toContainText('second draft', FOLLOW)
  expect(errors).toEqual([])
})

test('the generator’s progress bar advances, and cancel stops it after the batch in flight', async ({ page }) => {
  const errors = collectErrors(page)
  await openPlayground(page)
  await page.selectOption('#gen-size', '1000000')
  await page.click('#gen-start')
  const bar = page.locator('#gen-progress')
  await expect(page.locator('#gen-pill')).toBeVisible()
  await expect.poll(() => bar.evaluate((b: HTMLProgressElement) => b.value), { timeout: 30_000 }).toBeGreaterThan(0)
  const first = await bar.evaluate((b: HTMLProgressElement) => b.value)
  await expect.poll(() => bar.evaluate((b: HTMLProgressElement) => b.value), { timeout: 30_000 }).toBeGreaterThan(first)
  await page.click('#gen-cancel')
  await expect(page.locator('#gen-status')).toContainText('cancelled after', { timeout: 30_000 })
  await expect(page.locator('#toast')).toContainText('generator cancelled')
  await expect(page.locator('#gen-pill')).toBeHidden()
  const done = await bar.evaluate((b: HTMLProgressElement) => b.value)
  expect(done).toBeGreaterThan(0)
  expect(done).toBeLessThan(1_000_000)
  expect(done % 5000).toBe(0) // whole batches: each is one atomic commit
  // nothing more is written after cancel: the store holds the seed plus exactly what the bar says
  await page.waitForTimeout(1500)
  expect(await bar.evaluate((b: HTMLProgressElement) => b.value)).toBe(done)
  expect(await page.evaluate(() => (window as any).db.count())).toBe(3 + done)
  await expect(page.locator('#count')).toHaveText(`${(3 + done).toLocaleString('en-US')} keys`, FOLLOW)
  expect(errors).toEqual([])
})

test('“delete all” asks first; cancel keeps everything, confirm deletes, undo brings it back', async ({ page }) => {
  const errors = collectErrors(page)
  await openPlayground(page)
  await page.click('#clear')
  const dialog = page.locator('dialog#ask')
  await expect(dialog).toBeVisible()
  await expect(dialog).toContainText('Delete all 3 keys on main?')
  await expect(dialog.getByRole('button', { name: 'Cancel' })).toBeFocused() // the safe choice has the focus
  await page.keyboard.press('Escape')
  await expect(dialog).toBeHidden()
  expect(await page.evaluate(() => (window as any).db.count())).toBe(3)

  await page.click('#clear')
  await dialog.getByRole('button', { name: 'Delete 3 keys' }).click()
  await expect(page.locator('#count')).toHaveText('0 keys', FOLLOW)
  expect(await page.evaluate(() => (window as any).db.count())).toBe(0)
  await page.keyboard.press('Control+z')
  await expect(page.locator('#count')).toHaveText('3 keys', FOLLOW)
  expect(errors).toEqual([])
})

test('a backup export leaves no snapshot behind unless asked, and a kept one is the base of an incremental export', async ({ page }) => {
  const errors = collectErrors(page)
  await openPlayground(page)
  await page.click('#tab-engine')
  const named = () => page.evaluate(async () => ((await (window as any).db.snapshots()) as any[]).filter((s) => s.kind !== 'history').map((s) => s.label))
  const [full] = await Promise.all([page.waitForEvent('download'), page.click('#export')])
  expect(full.suggestedFilename()).toMatch(/^cowdb-main-.*\.cowdb$/)
  await expect(page.locator('#backup-result')).toContainText('no snapshot left behind', FOLLOW)
  expect(await named()).toEqual(['first look'])

  await page.check('#backup-keep')
  await Promise.all([page.waitForEvent('download'), page.click('#export')])
  await expect(page.locator('#backup-result')).toContainText('kept a “backup” snapshot', FOLLOW)
  expect(await named()).toEqual(['first look', 'backup'])
  // the card follows the catalog a moment later: wait for the kept snapshot itself (while the
  // card catches up it can still offer the first export's snapshot, dropped since)
  const kept = await page.evaluate(async () => ((await (window as any).db.snapshots()) as any[]).find((s) => s.label === 'backup').id as string)
  await expect(page.locator(`#backup-since option[value="${kept}"]`)).toHaveCount(1, FOLLOW)
  await expect(page.locator('#backup-since option')).toHaveCount(2, FOLLOW)

  await page.evaluate(() => (window as any).db.put('after-backup', 1))
  await page.uncheck('#backup-keep')
  await page.selectOption('#backup-since', kept)
  const [incremental] = await Promise.all([page.waitForEvent('download'), page.click('#export')])
  expect(incremental.suggestedFilename()).toMatch(/-incremental\.cowdb$/)
  expect(await named()).toEqual(['first look', 'backup'])
  await page.click('#tab-history')
  // the export's own snapshot shows for a moment while it runs; then only the kept one is left
  await expect(page.locator('#snapshots .tag.backup')).toHaveCount(1, FOLLOW)
  await expect(page.locator('#snapshots li', { has: page.locator('.tag.backup') })).toContainText('backup')
  expect(errors).toEqual([])
})
