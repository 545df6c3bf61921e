// The value codec's differential test in the browser (e2e/values.spec.ts drives it): fast-check
// values of every structured-clone type, compared with structuredClone's result, (1) through
// encodeValue/decodeValue in this page, (2) through a database opened with openDB (the public
// API: put, get, getMany, scan, iterate, in a worker, and after a reopen).
import fc from 'fast-check'
import { decodeValue, encodeValue } from '@cowdb/core'
import { openDB } from '@cowdb/browser'
import { build, caseArb, compareClone, EXPECTED_KINDS, kindsOf, tally } from '../../packages/core/test/values-oracle.ts'

type Report = { ok: boolean; failure?: string; counts: Record<string, number>; expectedKinds: string[] }

/** structuredClone, or undefined when it refuses the value (then there is nothing to compare with). */
function clone(value: unknown): { value: unknown } | undefined {
  try {
    return { value: structuredClone(value) }
  } catch {
    return undefined
  }
}

/** The codec in this page against structuredClone, `runs` cases from `seed` (shrunk on failure). */
function direct(seed: number, runs: number): Report {
  const counts = new Map<string, number>()
  try {
    fc.assert(
      fc.property(caseArb, (c) => {
        const value = build(c)
        const expected = clone(value)
        if (!expected) return void tally(counts, ['(structuredClone refused it)'])
        const diff = compareClone(decodeValue(encodeValue(value)), expected.value, value)
        if (diff) throw new Error(diff)
        tally(counts, kindsOf(value))
      }),
      { seed, numRuns: runs },
    )
    return { ok: true, counts: Object.fromEntries(counts), expectedKinds: EXPECTED_KINDS }
  } catch (e) {
    return { ok: false, failure: String(e instanceof Error ? e.message : e), counts: Object.fromEntries(counts), expectedKinds: EXPECTED_KINDS }
  }
}

/**
 * `runs` cases from `seed` stored in a database through the public API, then read back with
 * get, getMany, scan and iterate, before and after closing and reopening it.
 */
async function throughDb(name: string, seed: number, runs: number): Promise<Report> {
  const counts = new Map<string, number>()
  const cases = fc.sample(caseArb, { seed, numRuns: runs })
  const values: unknown[] = []
  const expected: unknown[] = []
  for (const c of cases) {
    const v = build(c)
    const e = clone(v)
    if (!e) {
      tally(counts, ['(structuredClone refused it)'])
      continue
    }
    values.push(v)
    expected.push(e.value)
    tally(counts, kindsOf(v))
  }
  const keys = values.map((_, i) => `case${String(i).padStart(5, '0')}`)
  const report = (failure?: string): Report => ({ ok: !failure, failure, counts: Object.fromEntries(counts), expectedKinds: EXPECTED_KINDS })
  let db = await openDB(name)
  await Promise.all(values.map((v, i) => db.put(keys[i]!, v)))
  for (const round of ['', ' after reopen']) {
    const many = await db.getMany(keys)
    const scanned = new Map(await db.scan({ limit: keys.length + 1 }))
    const iterated = new Map<unknown, unknown>()
    for await (const [k, v] of db.iterate()) iterated.set(k, v)
    for (let i = 0; i < keys.length; i++) {
      const reads: [string, unknown][] = [['get', await db.get(keys[i]!)], ['getMany', many[i]], ['scan', scanned.get(keys[i])], ['iterate', iterated.get(keys[i])]]
      for (const [how, got] of reads) {
        const diff = compareClone(got, expected[i], values[i])
        if (diff) return report(`${keys[i]} (seed ${seed}, case ${i}) via ${how}${round}: ${diff}`)
      }
    }
    await db.close()
    db = await openDB(name)
  }
  await db.close()
  return report()
}

;(window as unknown as Record<string, unknown>).valueTests = { direct, throughDb }
document.body.textContent = 'ready'
