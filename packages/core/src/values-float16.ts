// The stand-in for Float16Array where the runtime has none (Node 20; browsers have it).

/**
 * What a stored Float16Array reads back as in a runtime without Float16Array: a Uint16Array of
 * the raw IEEE 754 half-precision bits, on the same buffer, offset and length as the original
 * (views that shared its buffer still share it, byte for byte). encodeValue writes it back as a
 * Float16Array, so reading and rewriting a value in Node (dbctl, a migration) loses nothing.
 * `toFloat32()` gives the numbers; where Float16Array exists, values decode as Float16Array.
 */
export class Float16Bits extends Uint16Array {
  /** The values as numbers (every half-precision value is exact in float32). Cost: O(length). */
  toFloat32(): Float32Array {
    const out = new Float32Array(this.length)
    for (let i = 0; i < this.length; i++) out[i] = halfToNumber(this[i]!)
    return out
  }
}

/** The number an IEEE 754 half-precision bit pattern stands for. Cost: O(1). */
export function halfToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1
  const exp = (h >> 10) & 0x1f
  const frac = h & 0x3ff
  if (exp === 0) return sign * frac * 2 ** -24
  if (exp === 0x1f) return frac ? NaN : sign * Infinity
  return sign * (1 + frac / 1024) * 2 ** (exp - 15)
}
