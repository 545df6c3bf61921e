// Key order in real Chromium against indexedDB.cmp (issue 13): the encoding's byte order on
// random keys (surrogates, astral characters, -0, ±Infinity, dates, binary, nested arrays), and
// the same keys through the database: scans and range scans in the worker, before and after a
// reopen. The generators are the Node tests' (packages/core/test/key-arbitraries.ts); fixed seeds.
import { expect, test } from './fixtures'

const SEED = Number(process.env.COWDB_SEED ?? 20261130)

async function openKeysPage(page: import('@playwright/test').Page) {
  await page.goto('/test/keys.html')
  await expect(page.locator('body')).toHaveText('ready')
}

test(`encoded keys compare as indexedDB.cmp does (seed ${SEED})`, async ({ page }) => {
  await openKeysPage(page)
  const result = await page.evaluate(([seed, runs]) => (window as any).keyTests.bytes(seed, runs), [SEED, 3000])
  console.log('keys compared per type:', result.counts)
  expect(result.message).toBeUndefined()
  expect(result.failed).toBe(false)
  for (const kind of ['number', 'date', 'string', 'binary', 'array']) expect(result.counts[kind], kind).toBeGreaterThan(1000)
})

test(`random keys through the database scan in indexedDB.cmp order, ranges too (seed ${SEED})`, async ({ page }) => {
  await openKeysPage(page)
  const result = await page.evaluate(([seed, runs]) => (window as any).keyTests.database(seed, runs), [SEED, 120])
  console.log(`${result.keys} keys put, ${result.ranges} range scans`)
  expect(result.mismatches).toEqual([])
  expect(result.keys).toBeGreaterThan(600)
})

// Where cowdb knowingly differs (docs/keys.md): it gives back 0 for a -0 key (one key, one
// encoding) and a Uint8Array for a binary key (the type it takes). IndexedDB, as its spec says:
test('IndexedDB gives back a -0 key as -0 and a binary key as an ArrayBuffer', async ({ page }) => {
  await openKeysPage(page)
  const got = await page.evaluate(() => (window as any).keyTests.indexedDbRoundTrip())
  expect(got).toEqual({ minusZeroIsMinusZero: true, binaryType: '[object ArrayBuffer]' })
})
