// Why a value cannot be stored, and where in it: the encoder throws Unstorable where it meets
// the value; each container it passes on the way out adds its step of the path (so nothing is
// spent on paths while encoding goes well); encodeValue turns it into DataCloneError.

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/

/** A value the encoder cannot store: `what` it is, and the path to it (innermost step first, as added on the way out). */
export class Unstorable extends Error {
  readonly path: string[] = []
  constructor(readonly what: string) {
    super(what)
  }
}

/** The path step to property `key`: `.name`, or `["a b"]` when it is not an identifier. Cost: O(key length). */
export function keySegment(key: string): string {
  return IDENTIFIER.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`
}

/** A primitive as it would be written in code (`"a"`, `1`, `2n`), or undefined for an object. Cost: O(length). */
export function primitiveText(v: unknown): string | undefined {
  if (typeof v === 'string') return JSON.stringify(v)
  if (typeof v === 'number' || typeof v === 'boolean' || v === null || v === undefined) return String(v)
  if (typeof v === 'bigint') return `${v}n`
  return undefined
}

/** Adds `segment` to an Unstorable passing outwards through a container; rethrows anything else. Cost: O(1). */
export function within(e: unknown, segment: string): never {
  if (e instanceof Unstorable) e.path.push(segment)
  throw e
}

/** The path to a value, outermost step first, its middle cut out (at step boundaries) when it is very long. Cost: O(steps). */
export function shortPath(segments: string[]): string {
  const all = segments.join('')
  if (all.length <= 240) return all
  let head = 0
  let tail = segments.length
  for (let n = 0; n < 100; ) n += segments[head++]!.length
  for (let n = 0; n < 100; ) n += segments[--tail]!.length
  return `${segments.slice(0, head).join('')}…${segments.slice(tail).join('')}`
}
