// Heads and their history on their own: retention options (defaults, merging, every bad value a
// TypeError), branch names, and pushHistory/expiredCount against a model that states retention
// as a filter (keep the newest keepLast, keep those younger than keepFor, always keep the newest).
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { expiredCount, historyOn, pushHistory, retentionPolicy, validBranchName, type Head } from './heads.js'
import type { Retention } from './types.js'

const SEED = Number(process.env.COWDB_SEED ?? 20261130)

describe('retentionPolicy', () => {
  it('fills defaults, lets the given fields override a base, and says when history is on', () => {
    expect(retentionPolicy(undefined)).toEqual({ keepLast: 0, keepFor: 0, keepNamed: true })
    const base = retentionPolicy({ keepLast: 5, keepNamed: false })
    expect(base).toEqual({ keepLast: 5, keepFor: 0, keepNamed: false })
    expect(retentionPolicy({ keepFor: 1000 }, base)).toEqual({ keepLast: 5, keepFor: 1000, keepNamed: false })
    expect(historyOn(retentionPolicy(undefined))).toBe(false)
    expect(historyOn(retentionPolicy({ keepLast: 1 }))).toBe(true)
    expect(historyOn(retentionPolicy({ keepFor: 1 }))).toBe(true)
    expect(historyOn(retentionPolicy({ keepNamed: false }))).toBe(false)
  })

  it.each([
    [null, /must be an object/],
    [5, /must be an object/],
    ['x', /must be an object/],
    [{ keepLast: -1 }, /keepLast must be an integer >= 0, got -1/],
    [{ keepLast: 1.5 }, /keepLast/],
    [{ keepLast: '3' }, /keepLast/],
    [{ keepLast: NaN }, /keepLast/],
    [{ keepFor: -1 }, /keepFor must be milliseconds >= 0/],
    [{ keepFor: NaN }, /keepFor/],
    [{ keepFor: '10' }, /keepFor/],
    [{ keepNamed: 'yes' }, /keepNamed must be a boolean/],
  ])('rejects %j with a TypeError', (r, why) => {
    expect(() => retentionPolicy(r as Retention)).toThrow(TypeError)
    expect(() => retentionPolicy(r as Retention)).toThrow(why)
  })
})

describe('validBranchName', () => {
  it('accepts 1 to 200 characters and rejects the rest with a TypeError', () => {
    for (const ok of ['a', 'main', 'x'.repeat(200), 'é/🙂 ']) expect(validBranchName(ok)).toBe(ok)
    for (const bad of ['', 'x'.repeat(201), 5, null, undefined, ['a']]) expect(() => validBranchName(bad)).toThrow(TypeError)
  })
})

describe(`pushHistory against a model (seed ${SEED})`, () => {
  it('drops the redo entries, then what retention expires, keeps the newest, and moves the cursor to it', () => {
    const step = fc.record({ undo: fc.nat(4), gap: fc.nat(50), keepLast: fc.nat(4), keepFor: fc.oneof(fc.constant(0), fc.nat(200)) })
    const seen = { redo: 0, expired: 0, kept: 0 }
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 60 }), (steps) => {
        const created = new Map<string, number>()
        const head: Head = { name: 'main', root: null, history: [], cursor: -1 }
        let now = 1000
        let n = 0
        for (const s of steps) {
          // An undo moves the cursor back (never before the first entry).
          head.cursor = Math.max(Math.min(head.cursor, head.history.length - 1) - s.undo, Math.min(0, head.history.length - 1))
          now += s.gap
          const id = `h${n++}`
          created.set(id, now)
          const p = retentionPolicy({ keepLast: s.keepLast, keepFor: s.keepFor })
          // The model: the entries up to the cursor plus the new one, filtered by retention.
          const redo = head.history.slice(head.cursor + 1)
          const line = [...head.history.slice(0, head.cursor + 1), id]
          const keep = line.filter((x, i) => {
            if (i === line.length - 1) return true
            if (p.keepLast > 0 && i < line.length - p.keepLast) return false
            if (p.keepFor > 0 && created.get(x)! < now - p.keepFor) return false
            return true
          })
          const expired = line.filter((x) => !keep.includes(x))
          const removed = pushHistory(head, id, (x) => created.get(x)!, p, now)
          expect(removed).toEqual([...redo, ...expired])
          expect(head.history).toEqual(keep)
          expect(head.cursor).toBe(keep.length - 1)
          seen.redo += redo.length
          seen.expired += expired.length
          seen.kept += keep.length
        }
      }),
      { seed: SEED, numRuns: 300 },
    )
    for (const [what, count] of Object.entries(seen)) expect(count, what).toBeGreaterThan(300)
  })

  it('expiredCount: nothing without retention; never the newest', () => {
    const ids = ['a', 'b', 'c']
    const at = (x: string) => ({ a: 0, b: 10, c: 20 })[x]!
    expect(expiredCount(ids, at, retentionPolicy({}), 1e9)).toBe(0)
    expect(expiredCount(ids, at, retentionPolicy({ keepFor: 1 }), 1e9)).toBe(2)
    expect(expiredCount(ids, at, retentionPolicy({ keepLast: 1 }), 0)).toBe(2)
    expect(expiredCount(ids, at, retentionPolicy({ keepLast: 2, keepFor: 15 }), 20)).toBe(1)
    expect(expiredCount(ids, at, retentionPolicy({ keepLast: 3, keepFor: 5 }), 20)).toBe(2)
  })
})
