import { describe, expect, it } from 'vitest'
import { encodeKey, encodeValue } from '@cowdb/core'
import type { LogEntry } from '../protocol.js'
import { keyId } from './local.js'
import { planMerge } from './merge.js'

const H = (s: number) => `2026-11-30T10:00:0${s}.000Z-000000`
const e = (seq: number, idx: number, key: string, value: unknown, hlc: number, applied: boolean): LogEntry => ({
  seq,
  idx,
  key: encodeKey(key),
  value: value === undefined ? null : encodeValue(value),
  hlc: H(hlc),
  applied,
})
const id = (k: string) => keyId(k)

describe('planMerge', () => {
  it('a key only others wrote takes its last applied value; one never applied keeps the base', () => {
    const plan = planMerge({ entries: [e(3, 0, 'a', 1, 1, true), e(4, 0, 'a', 2, 2, true), e(4, 1, 'b', 9, 0, false), e(5, 0, 'c', undefined, 3, true)], pushed: new Set() })
    expect(plan.get(id('a'))).toEqual({ key: encodeKey('a'), final: encodeValue(2) })
    expect(plan.get(id('b'))).toEqual({ key: encodeKey('b') })
    expect(plan.get(id('c'))).toEqual({ key: encodeKey('c'), final: null })
  })

  it('a pushed key that only this device wrote, and won, is no conflict', () => {
    const plan = planMerge({ entries: [e(7, 0, 'a', 'mine', 5, true)], own: 7, pushed: new Set([id('a')]) })
    expect(plan.get(id('a'))!.conflict).toBeUndefined()
  })

  it('another write applied between the cursor and this push is a conflict this device resolves, whoever won', () => {
    for (const ownWins of [true, false]) {
      const plan = planMerge({ entries: [e(6, 0, 'a', 'theirs', 4, true), e(7, 0, 'a', 'mine', ownWins ? 5 : 3, ownWins)], own: 7, pushed: new Set([id('a')]) })
      expect(plan.get(id('a'))).toEqual({ key: encodeKey('a'), final: encodeValue(ownWins ? 'mine' : 'theirs'), conflict: { remote: encodeValue('theirs') } })
    }
  })

  it('a pushed write that lost to the base value is a conflict against the base', () => {
    const plan = planMerge({ entries: [e(7, 0, 'a', 'mine', 1, false)], own: 7, pushed: new Set([id('a')]) })
    expect(plan.get(id('a'))).toEqual({ key: encodeKey('a'), conflict: { remote: 'base' } })
  })

  it('when another device wrote the key after this push, that device resolves: not this one', () => {
    const plan = planMerge({ entries: [e(6, 0, 'a', 'x', 4, true), e(7, 0, 'a', 'mine', 5, true), e(8, 0, 'a', 'later', 6, true)], own: 7, pushed: new Set([id('a')]) })
    expect(plan.get(id('a'))).toEqual({ key: encodeKey('a'), final: encodeValue('later') })
  })
})
