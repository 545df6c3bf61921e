// Which structured-clone type an object is, or why it cannot be stored.
//
// The encoder's fast path knows plain objects and arrays by their prototype; everything else
// comes here. The answer depends only on the prototype chain, so it is cached per prototype
// (a WeakMap: class instances cost one lookup after the first). The chain is walked upwards:
// the first intrinsic prototype met decides (a subclass of Map is a Map, as structuredClone
// says); a prototype whose constructor is native code and not one of ours is a built-in or
// platform type we do not store (WeakMap, Promise, Blob, CryptoKey, a DOM node, ...), as is a
// prototype with a Symbol.toStringTag and no constructor of its own (iterators, generators);
// user classes are skipped, and a chain that reaches Object.prototype or null flattens to a
// plain object (own enumerable string keys), as structuredClone flattens class instances.
// Nothing here runs at import: the table of intrinsics is built on first use.

import { VIEW_KINDS, KIND_FLOAT16 } from './values-format.js'
import { Float16Bits } from './values-float16.js'

export const K_PLAIN = 0
export const K_ARRAY = 1
export const K_MAP = 2
export const K_SET = 3
export const K_DATE = 4
export const K_REGEXP = 5
export const K_ERROR = 6
export const K_NUMBER = 7
export const K_STRING = 8
export const K_BOOLEAN = 9
export const K_BIGINT = 10
export const K_ARRAYBUFFER = 11
/** K_VIEW + a VIEW_KINDS index: a typed array or DataView. */
export const K_VIEW = 16

/** A kind (a number above), or the name of a type that cannot be stored. */
export type Kind = number | string

/**
 * Web platform types that Node implements in JavaScript (so they do not look native) and that
 * structuredClone would not flatten: rejected by name, like their native browser versions.
 */
const PLATFORM = [
  'Blob', 'File', 'FileList', 'CryptoKey', 'DOMException', 'MessagePort', 'MessageChannel', 'BroadcastChannel',
  'EventTarget', 'Event', 'AbortController', 'AbortSignal', 'URL', 'URLSearchParams', 'Headers', 'Request',
  'Response', 'FormData', 'ReadableStream', 'WritableStream', 'TransformStream', 'TextEncoder', 'TextDecoder',
  'Worker', 'WebSocket', 'Performance',
]

let intrinsics: Map<object, Kind> | undefined
/** The kinds by constructor name, for objects of another realm (an iframe's Map is a Map). */
let byName: Map<string, Kind> | undefined
const cache = new WeakMap<object, Kind>()
const fnToString = Function.prototype.toString
const NATIVE = /\{\s*\[native code\]\s*\}\s*$/

function buildIntrinsics(): Map<object, Kind> {
  const g = globalThis as unknown as Record<string, (new (...a: never[]) => object) | undefined>
  const m = new Map<object, Kind>()
  byName = new Map()
  const add = (name: string, kind: Kind) => {
    const C = g[name]
    if (typeof C === 'function' && C.prototype) m.set(C.prototype, kind)
    byName!.set(name, kind)
  }
  for (const name of PLATFORM) add(name, name)
  add('Array', K_ARRAY)
  add('Map', K_MAP)
  add('Set', K_SET)
  add('Date', K_DATE)
  add('RegExp', K_REGEXP)
  for (const name of ['Error', 'EvalError', 'RangeError', 'ReferenceError', 'SyntaxError', 'TypeError', 'URIError', 'AggregateError', 'SuppressedError']) add(name, K_ERROR)
  add('Number', K_NUMBER)
  add('String', K_STRING)
  add('Boolean', K_BOOLEAN)
  add('BigInt', K_BIGINT)
  add('Symbol', 'Symbol object')
  add('ArrayBuffer', K_ARRAYBUFFER)
  add('SharedArrayBuffer', 'SharedArrayBuffer')
  VIEW_KINDS.forEach((name, i) => add(name, K_VIEW + i))
  m.set(Float16Bits.prototype, K_VIEW + KIND_FLOAT16)
  return m
}

function ownValue(o: object, key: PropertyKey): unknown {
  const d = Object.getOwnPropertyDescriptor(o, key)
  return d && 'value' in d ? d.value : undefined
}

function classifyChain(proto: object): Kind {
  const known = (intrinsics ??= buildIntrinsics())
  for (let p: object | null = proto; p !== null && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    const kind = known.get(p)
    if (kind !== undefined) return kind
    const ctor = ownValue(p, 'constructor')
    if (typeof ctor === 'function') {
      // A native constructor that is not one of this realm's: another realm's intrinsic (known
      // by name), or a built-in or platform type that cannot be stored.
      if (NATIVE.test(fnToString.call(ctor))) {
        const name = String(ctor.name)
        return name === 'Object' ? K_PLAIN : byName!.get(name) ?? (name || 'built-in object')
      }
    } else {
      const tag = ownValue(p, Symbol.toStringTag)
      if (typeof tag === 'string') return tag
    }
  }
  return K_PLAIN
}

/**
 * The kind of an object whose prototype is `proto` (not Object.prototype, null or
 * Array.prototype: the caller handles those). Cost: one WeakMap lookup; O(chain) the first time.
 */
export function classify(proto: object): Kind {
  let kind = cache.get(proto)
  if (kind === undefined) {
    kind = classifyChain(proto)
    cache.set(proto, kind)
  }
  return kind
}

/** "a WeakMap", "an Event": the type named with its article, for error messages. Cost: O(1). */
export function withArticle(name: string): string {
  return (/^[aeiouAEIO]/.test(name) ? 'an ' : 'a ') + name // a URL, a Uint8Array, an Event
}
