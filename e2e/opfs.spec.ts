import { expect, test } from './fixtures'

test('OPFS sync access handle: write, flush, close, reload, read back', async ({ page }) => {
  await page.goto('/test/opfs.html')
  await expect(page.locator('body')).toHaveText('ready')
  const bytes = Array.from({ length: 10_000 }, (_, i) => (i * 37) & 255)
  expect(await page.evaluate((b) => (window as any).opfs('write', b), bytes)).toEqual({ written: 10_000 })
  await page.reload()
  await expect(page.locator('body')).toHaveText('ready')
  const got = await page.evaluate(() => (window as any).opfs('read'))
  expect(got.bytes).toEqual(bytes)
})
