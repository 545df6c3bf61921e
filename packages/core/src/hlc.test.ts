import { describe, expect, it } from 'vitest'
import { Hlc, formatHlc, parseHlc } from './hlc.js'

describe('Hlc', () => {
  it('stays strictly increasing when the clock stands still or jumps backwards', () => {
    const times = [1000, 1000, 1000, 900, 500, 1001, 1001, 2000, 10, 2000]
    let i = 0
    const hlc = new Hlc(() => times[i++]!)
    const ids = times.map(() => hlc.next())
    for (let k = 1; k < ids.length; k++) expect(ids[k]! > ids[k - 1]!).toBe(true)
    expect(new Set(ids).size).toBe(ids.length)
    // The wall time is recoverable for display, and never goes backwards.
    expect(parseHlc(ids[0]!)!.wall).toBe(1000)
    expect(parseHlc(ids[4]!)!.wall).toBe(1000)
    expect(parseHlc(ids[7]!)!.wall).toBe(2000)
  })

  it('moves past ids observed from elsewhere', () => {
    const a = new Hlc(() => 5000)
    const b = new Hlc(() => 1000)
    const fromA = a.next()
    b.observe(fromA)
    expect(b.next() > fromA).toBe(true)
  })

  it('carries into the milliseconds when the counter runs out', () => {
    const hlc = new Hlc(() => 0)
    let last = ''
    for (let k = 0; k < 1_000_002; k++) {
      const id = hlc.next()
      if (k % 250_000 === 0 || k > 999_998) {
        expect(id > last).toBe(true)
        last = id
      }
    }
    expect(parseHlc(last)!.wall).toBe(1)
  })

  it('formats and parses round trip; rejects foreign strings', () => {
    const id = formatHlc(Date.UTC(2026, 10, 24, 20, 45, 12, 345), 7)
    expect(id).toBe('2026-11-24T20:45:12.345Z-000007')
    expect(parseHlc(id)).toEqual({ wall: Date.UTC(2026, 10, 24, 20, 45, 12, 345), counter: 7 })
    expect(parseHlc('20260601120000')).toBeUndefined()
  })
})
