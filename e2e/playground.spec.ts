import { collectErrors, expect, test } from './fixtures'

test('the playground loads with no console errors and exposes cowdb and db', async ({ page }) => {
  const errors = collectErrors(page)
  await page.goto('/')
  await expect(page.locator('#status')).toHaveText(/running/, { timeout: 30_000 })
  expect(await page.evaluate(() => typeof (window as any).cowdb.openDB)).toBe('function')
  expect(await page.evaluate(() => (window as any).db.count())).toBeGreaterThanOrEqual(2)
  await page.fill('#key', 'hello')
  await page.fill('#value', '{"from":"test"}')
  await page.click('button[type=submit]')
  await expect(page.locator('#write-result')).toHaveText(/committed/)
  expect(await page.evaluate(() => (window as any).db.get('hello'))).toEqual({ from: 'test' })
  expect(errors).toEqual([])
})
