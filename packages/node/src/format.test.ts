import { describe, expect, it } from 'vitest'
import { fromJson, line, toJson } from './format.js'

describe('dbctl value format', () => {
  it('round-trips what JSON cannot hold', () => {
    const v = { b: new Uint8Array([1, 2, 255]), n: 10n ** 20n, d: new Date(7), m: new Map([[1, 'x']]), s: new Set(['a']), inf: -Infinity, list: [1, 'two', null] }
    const back = fromJson(JSON.parse(line(v)))
    expect(back).toEqual(v)
    expect(toJson('plain')).toBe('plain')
  })
})
