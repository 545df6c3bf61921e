import { describe, expect, it } from 'vitest'
import { checksum32 } from './checksum.js'

const text = (s: string) => new TextEncoder().encode(s)

describe('checksum32 (xxHash32)', () => {
  it('matches the reference vectors', () => {
    expect(checksum32(text(''))).toBe(0x02cc5d05)
    expect(checksum32(text('a'))).toBe(0x550d7456)
    expect(checksum32(text('abc'))).toBe(0x32d153ff)
    expect(checksum32(text('Nobody inspects the spammish repetition'))).toBe(0xe2293b2f)
  })

  it('does not depend on the view offset, and sees every byte', () => {
    const buf = new Uint8Array(4096 + 3).map((_, i) => (i * 131) & 255)
    const page = buf.subarray(3)
    const copy = page.slice()
    expect(checksum32(page)).toBe(checksum32(copy))
    for (const at of [0, 1, 15, 16, 2047, 4095]) {
      copy[at]! ^= 1
      expect(checksum32(copy)).not.toBe(checksum32(page))
      copy[at]! ^= 1
    }
  })
})
