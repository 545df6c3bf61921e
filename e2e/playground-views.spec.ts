// Every view of the playground at a desktop (1280x800) and a phone (390x844) size: nothing wider
// than the screen, no console error, every control reachable by keyboard, and branches with
// their own history. With COWDB_SCREENSHOTS=1 each view is saved under docs/screenshots/.
import type { Page } from '@playwright/test'
import { mkdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { collectErrors, expect, test } from './fixtures'

const FOLLOW = { timeout: 5_000 }
const SHOTS = process.env.COWDB_SCREENSHOTS === '1' ? fileURLToPath(new URL('../docs/screenshots/', import.meta.url)) : undefined
const SIZES = [
  { width: 1280, height: 800 },
  { width: 390, height: 844 },
]

async function openPlayground(page: Page): Promise<void> {
  await page.goto('/')
  await expect(page.locator('#status')).toHaveClass(/ok/, { timeout: 30_000 })
  await expect(page.locator('#count')).toHaveText('3 keys')
}

/** Saves the viewport (COWDB_SCREENSHOTS=1) after checking nothing overflows sideways. */
async function view(page: Page, name: string, size: { width: number; height: number }): Promise<void> {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)
  expect(overflow, `${name} at ${size.width}px is wider than the screen`).toBeLessThanOrEqual(0)
  if (SHOTS) {
    mkdirSync(SHOTS, { recursive: true })
    await page.screenshot({ path: `${SHOTS}${name}-${size.width}x${size.height}.png` })
  }
}

test('every view fits a desktop and a phone screen with no console error', async ({ page }) => {
  test.setTimeout(180_000)
  const errors = collectErrors(page)
  await page.setViewportSize(SIZES[0]!)
  await openPlayground(page)
  // a store with some life: 20,000 generated keys, a branch, a snapshot, a few edits
  await page.selectOption('#gen-size', '10000')
  await page.click('#gen-start')
  await expect(page.locator('#gen-status')).toContainText('done', { timeout: 60_000 })
  await page.click('#gen-start')
  await expect(page.locator('#gen-status')).toContainText('done', { timeout: 60_000 })
  await page.evaluate(async () => {
    const db = (window as any).db
    await db.snapshot({ label: 'after the import' })
    await db.put('todo:2', { title: 'take a snapshot', done: true })
    await db.put('todo:4', { title: 'open a second tab', done: false })
    await db.branch('experiment')
    await db.put('todo:5', { title: 'try a branch', done: false }, { branch: 'experiment' })
    await db.delete('todo:1', { branch: 'experiment' })
    await db.gc()
  })
  await expect(page.locator('#count')).toHaveText('20,004 keys', FOLLOW)
  await page.waitForTimeout(8_000) // a few seconds of samples for the charts
  await page.locator('body').press('Escape') // the last message goes away

  for (const size of SIZES) {
    await page.setViewportSize(size)
    await page.click('#tab-explore')
    await page.evaluate(() => window.scrollTo(0, 0))
    await expect(page.locator('#rows')).toContainText('todo:4')
    await view(page, 'explore', size)

    // time travel: the snapshot before the two edits
    await page.locator('#slider').focus()
    for (let i = 0; i < 10 && !((await page.locator('#at-label').textContent()) ?? '').includes('after the import'); i++) await page.keyboard.press('ArrowLeft')
    await expect(page.locator('#viewing')).toContainText('read-only', FOLLOW)
    await expect(page.locator('#diff-title')).toContainText('→ “after the import”: 5,000 changes', FOLLOW)
    await expect(page.locator('#pages-legend')).toContainText('written by this commit', FOLLOW)
    await expect(page.locator('#view-explore [aria-busy]')).toHaveCount(0, FOLLOW)
    await page.locator('#diff-h').evaluate((el) => el.closest('section')!.scrollIntoView({ block: 'start' })) // the diff and the tree
    await page.locator('#slider').blur()
    await view(page, 'time-travel', size)
    await page.locator('#slider').focus()
    await page.keyboard.press('End')
    await expect(page.locator('#at-badge')).toHaveText('now')

    await page.click('#tab-history')
    await page.evaluate(() => window.scrollTo(0, 0))
    await expect(page.locator('#heads')).toContainText('experiment')
    await view(page, 'history', size)

    await page.click('#tab-metrics')
    await page.evaluate(() => window.scrollTo(0, 0))
    await view(page, 'metrics', size)

    await page.click('#tab-engine')
    await page.evaluate(() => window.scrollTo(0, 0))
    await expect(page.locator('#stats')).toContainText('20,004')
    await view(page, 'engine', size)
  }
  expect(errors).toEqual([])
})

test('branches: made from a past point, listed, switchable, each with its own history', async ({ page }) => {
  const errors = collectErrors(page)
  await openPlayground(page)
  // view the named snapshot "first look" (todo:1 not done, no todo:3) and branch from there
  await page.locator('#slider').focus()
  await page.keyboard.press('Home')
  for (let i = 0; i < 10 && !((await page.locator('#at-label').textContent()) ?? '').includes('first look'); i++) await page.keyboard.press('ArrowRight')
  await expect(page.locator('#rows')).not.toContainText('todo:3', FOLLOW)
  await page.click('#branch-here')
  await page.fill('#ask-input', 'main') // taken: refused in the dialog
  await page.keyboard.press('Enter')
  await expect(page.locator('#ask-error')).toHaveText(/exists already/)
  await page.fill('#ask-input', 'idea')
  await page.keyboard.press('Enter')
  await expect(page.locator('#branch-select')).toHaveValue('idea', FOLLOW)
  await expect(page.locator('#at-badge')).toHaveText('now')
  await expect(page.locator('#count')).toHaveText('2 keys', FOLLOW)

  // writes go to the branch; its timeline has its own commits, main's data is untouched
  await page.fill('#key', 'idea:1')
  await page.fill('#value', '"only on the branch"')
  await page.click('#put')
  await expect(page.locator('#rows')).toContainText('idea:1', FOLLOW)
  await expect(page.locator('#tl-count')).toContainText('2 commits kept', FOLLOW) // the branch's start and its put
  expect(await page.evaluate(() => (window as any).db.get('idea:1'))).toBeUndefined()
  await page.click('#tab-history')
  await expect(page.locator('#heads li', { hasText: 'idea' })).toContainText('3 keys', FOLLOW)
  await expect(page.locator('#heads li', { hasText: 'main' })).toContainText('3 keys')

  // switch back with the header menu (keyboard: a native select)
  await page.selectOption('#branch-select', 'main')
  await page.click('#tab-explore')
  await expect(page.locator('#rows')).toContainText('todo:3', FOLLOW)
  await expect(page.locator('#rows')).not.toContainText('idea:1')
  await expect(page.locator('#write-where')).toHaveText('to the head of main')

  // a branch made from the console shows up in the menu by itself; dropping it asks first
  await page.evaluate(() => (window as any).db.branch('from-console'))
  await expect(page.locator('#branch-select option[value=from-console]')).toHaveCount(1, FOLLOW)
  await page.click('#tab-history')
  await page.locator('#heads li', { hasText: 'idea' }).getByRole('button', { name: 'drop branch idea' }).click()
  await page.locator('dialog#ask').getByRole('button', { name: 'Drop branch' }).click()
  await expect(page.locator('#heads')).not.toContainText('idea', FOLLOW)
  expect(errors).toEqual([])
})

test('keyboard only: tabs with arrow keys, undo with Ctrl+Z, the tree with arrow keys, Escape back to now', async ({ page }) => {
  const errors = collectErrors(page)
  await openPlayground(page)
  await page.locator('#tab-explore').focus()
  await page.keyboard.press('ArrowRight')
  await expect(page.locator('#tab-history')).toBeFocused()
  await expect(page.locator('#view-history')).toBeVisible()
  await page.keyboard.press('End')
  await expect(page.locator('#view-engine')).toBeVisible()
  await page.keyboard.press('Home')
  await expect(page.locator('#view-explore')).toBeVisible()

  await page.locator('#pages').focus()
  await expect(page.locator('#page-info-line')).toContainText('page')
  await page.keyboard.press('ArrowRight')
  await expect(page.locator('#pages .page.cursor')).toHaveCount(1)

  await page.locator('body').press('Control+z')
  await expect(page.locator('#rows')).not.toContainText('todo:3', FOLLOW)
  await page.locator('body').press('Control+Shift+Z')
  await expect(page.locator('#rows')).toContainText('todo:3', FOLLOW)

  await page.locator('#slider').focus()
  await page.keyboard.press('Home')
  await expect(page.locator('#at-badge')).not.toHaveText('now')
  await page.locator('body').press('Escape')
  await expect(page.locator('#at-badge')).toHaveText('now')
  expect(errors).toEqual([])
})
