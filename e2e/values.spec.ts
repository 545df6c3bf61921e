// The value codec in real Chromium: the differential property test against structuredClone,
// in the page and through a database opened with openDB (demo/test/values.ts), with a count
// of cases per generated type; and issue 13's value repros through the public API.
import { expect, openTestPage, test } from './fixtures'
import type { Page } from '@playwright/test'

const seed = Number(process.env.COWDB_SEED ?? 20261130)
type Report = { ok: boolean; failure?: string; counts: Record<string, number>; expectedKinds: string[] }

async function openValuesPage(page: Page): Promise<void> {
  // The first load may make Vite bundle fast-check and reload the page: wait for the harness.
  await page.goto('/test/values.html')
  await page.waitForFunction(() => (window as any).valueTests !== undefined && document.body.textContent === 'ready', undefined, { timeout: 60_000 })
}

function printCounts(title: string, r: Report): void {
  const lines = Object.entries(r.counts).sort(([a], [b]) => a.localeCompare(b)).map(([k, n]) => `  ${k.padEnd(30)} ${n}`)
  console.log(`${title}\n${lines.join('\n')}`)
}

function check(r: Report): void {
  expect(r.failure ?? null).toBeNull()
  expect(r.ok).toBe(true)
  expect(r.expectedKinds).toContain('Float16Array') // Chromium has it: it must be among the generated types
  expect(r.expectedKinds.filter((k) => !(k in r.counts))).toEqual([])
}

test('the codec in the page: values of every type read back deep-equal to structuredClone', async ({ page }) => {
  await openValuesPage(page)
  const runs = 3000
  const r = (await page.evaluate(([s, n]) => (window as any).valueTests.direct(s, n), [seed, runs])) as Report
  printCounts(`Chromium, encodeValue/decodeValue in the page: value types in ${runs} cases (seed ${seed})`, r)
  check(r)
})

test('through openDB (put, get, getMany, scan, iterate; then after a reopen): values read back deep-equal to structuredClone', async ({ page }) => {
  await openValuesPage(page)
  const runs = 800
  const r = (await page.evaluate(([s, n]) => (window as any).valueTests.throughDb('values-diff', s, n), [seed + 1, runs])) as Report
  printCounts(`Chromium, through openDB: value types in ${runs} cases (seed ${seed + 1})`, r)
  check(r)
})

test("issue 13's value repros through openDB: Map keys, Float16Array, lone surrogates, holes, extra properties, __proto__, 70,000 keys", async ({ page }) => {
  await openTestPage(page)
  const wrong = await page.evaluate(async () => {
    const db = await (window as any).cowdb.openDB('values-repros')
    const holes = [1, , 3, ,]
    const extra = Object.assign([1, 2], { note: 'kept' })
    const values: Record<string, unknown> = {
      mapNumberAndString: new Map<unknown, unknown>([[1, 'a'], ['1', 'b']]),
      mapObjectKey: new Map([[{ id: 1 }, 'x']]),
      mapDateKey: new Map([[new Date(5), 'd']]),
      float16: new (globalThis as any).Float16Array([1.5, -2, 65504, NaN]),
      surrogateValue: 'a\ud800b',
      surrogateName: { ['\udc00key']: 1 },
      holes,
      extra,
      proto: JSON.parse('{"__proto__":{"x":1},"y":2}'),
      wide: Object.fromEntries(Array.from({ length: 70_000 }, (_, i) => [`k${i}`, i])),
    }
    for (const [k, v] of Object.entries(values)) await db.put(k, v)
    await db.close()
    const again = await (window as any).cowdb.openDB('values-repros')
    const out: string[] = []
    const same = (a: unknown, b: unknown) => JSON.stringify(a, (_k, x) => (x instanceof Map ? [...x] : x)) === JSON.stringify(b, (_k, x) => (x instanceof Map ? [...x] : x))
    const got = Object.fromEntries(await again.scan()) as Record<string, any>
    if (!(got.mapNumberAndString instanceof Map) || got.mapNumberAndString.get(1) !== 'a' || got.mapNumberAndString.get('1') !== 'b') out.push('map 1/"1"')
    if (!(got.mapObjectKey instanceof Map) || !same([...got.mapObjectKey], [[{ id: 1 }, 'x']])) out.push('map object key')
    if (!(got.mapDateKey instanceof Map) || [...got.mapDateKey.keys()][0]?.getTime() !== 5) out.push('map Date key')
    if (Object.prototype.toString.call(got.float16) !== '[object Float16Array]' || got.float16[0] !== 1.5 || got.float16[2] !== 65504 || !Number.isNaN(got.float16[3])) out.push('Float16Array')
    if (got.surrogateValue !== 'a\ud800b') out.push('lone surrogate value')
    if (Object.keys(got.surrogateName)[0] !== '\udc00key') out.push('lone surrogate name')
    if (got.holes.length !== 4 || 1 in got.holes || 3 in got.holes) out.push('holes')
    if (got.extra.note !== 'kept') out.push('extra array property')
    if (Object.getPrototypeOf(got.proto) !== Object.prototype || !Object.prototype.hasOwnProperty.call(got.proto, '__proto__') || got.proto.__proto__.x !== 1) out.push('__proto__')
    if (Object.keys(got.wide).length !== 70_000 || got.wide.k69999 !== 69_999) out.push('70,000 keys')
    if (!(await again.verify()).ok) out.push('verify')
    await again.close()
    return out
  })
  expect(wrong).toEqual([])
})

test('a value with a function deep inside is rejected with DataCloneError and nothing is written', async ({ page }) => {
  await openTestPage(page)
  const result = await page.evaluate(async () => {
    const db = await (window as any).cowdb.openDB('values-bad')
    await db.put('before', 1)
    const name = await db.put('bad', { items: [0, 1, 2, { onClick() {} }] }).then(() => 'resolved', (e: Error) => e.name)
    const after = { bad: await db.get('bad'), count: await db.count() }
    await db.close()
    return { name, after }
  })
  expect(result).toEqual({ name: 'DataCloneError', after: { bad: undefined, count: 1 } })
})
