// The sync wire format, shared by the server and the client (no Node or DOM APIs here).
//
// A database lives at a URL `<server>/db/<name>`; every request carries `Authorization: Bearer
// <token>`, the live channel included (the client reads it with fetch, not EventSource).
//
//   POST <db>/push/<pushId>          body: a change set (octet-stream) → { seq, duplicate }
//   PUT  <db>/push/<pushId>/parts/<i> body: part i of a change set too big for one request
//   POST <db>/push/<pushId>          body: JSON { parts, bytes, sha256 } commits the parts
//   GET  <db>/pull?after=S&upTo=U[&idx=I&offset=O][&max=B] → a PullPage (octet-stream)
//   GET  <db>/head                   → { seq }
//   GET  <db>/live                   → text/event-stream of `event: head` / `data: {"seq":N}`
//   GET  <db>/state?at=S&key=K       → a StateValue: the value of one key at sequence S
//   GET  <db>/state?at=S[&gte=K][&lt=K][&after=K][&limit=N] → a StatePage
//
// Keys travel as cowdb's order-preserving key bytes (base64url in query strings), values as
// cowdb's stored value bytes, so the server compares keys as bytes and never needs the app's types.
// Bodies are MessagePack arrays (msgpackr), small control answers JSON.

import { Packr } from 'msgpackr'
import { compareKeys, decodeKey, decodeValue, parseHlc } from '@cowdb/core'

/** cowdb's limit on an encoded key. */
export const MAX_KEY_BYTES = 2048

/** Version of the envelopes below; a server answers 400 to any other. */
export const PROTOCOL_VERSION = 1

/** Size limits: a request over them gets 413 before anything is stored. */
export type Limits = {
  /** Bytes of one push request or one part (the client cuts change sets into parts this big). */
  partBytes: number
  /** Bytes of a whole change set, all parts together. */
  changeSetBytes: number
  /** Entries in one change set. */
  changeSetEntries: number
  /** Bytes of a JSON request body. */
  jsonBytes: number
  /** Bytes of values in one pull or state page (a larger value comes in slices). */
  pageBytes: number
}

export const DEFAULT_LIMITS: Limits = {
  partBytes: 1 << 20,
  changeSetBytes: 128 << 20,
  changeSetEntries: 1_000_000,
  jsonBytes: 64 << 10,
  pageBytes: 4 << 20,
}

/** One key's change in a change set: key bytes, value bytes (null: deleted), commit HLC. */
export type Entry = { key: Uint8Array; value: Uint8Array | null; hlc: string }

/** What a device pushes: its changes since its base, which it had at server sequence `base`. */
export type ChangeSet = { device: string; base: number; entries: Entry[] }

/** An entry as stored on the server: `applied` is false when a later write already held the key. */
export type LogEntry = Entry & { seq: number; idx: number; applied: boolean }

/**
 * A page of the log after a cursor: change sets (seq, pushId, device) and their entries in
 * (seq, idx) order. A value larger than the page comes in slices: `offset` and `total` tell
 * where this slice sits. `next` is where to resume, null once `upTo` is reached.
 */
export type PullPage = {
  head: number
  upTo: number
  sets: { seq: number; pushId: string; device: string }[]
  entries: (LogEntry & { offset: number; total: number })[]
  next: { seq: number; idx: number; offset: number } | null
}

/** A page of the state at a sequence, in key order; `next` is the last key sent when more follow. */
export type StatePage = { at: number; head: number; entries: { key: Uint8Array; value: Uint8Array; offset: number; total: number }[]; next: Uint8Array | null; nextOffset: number }

/** The answer to a point-in-time read of one key. */
export type StateValue = { at: number; head: number; value: Uint8Array | null; hlc: string | null }

/** A request the server refuses as malformed (400); nothing is changed. */
export class BadRequest extends Error {
  override name = 'BadRequest'
}

const packr = new Packr({ useRecords: false, moreTypes: false, mapsAsObjects: false, variableMapSize: true } as ConstructorParameters<typeof Packr>[0])

/** Packs a message. Cost: O(bytes). */
export function pack(v: unknown): Uint8Array {
  return packr.pack(v).slice()
}

/** Unpacks a message; malformed bytes throw BadRequest. Cost: O(bytes). */
export function unpack(bytes: Uint8Array): unknown {
  try {
    return packr.unpack(bytes)
  } catch (e) {
    throw new BadRequest(`not a MessagePack message: ${(e as Error).message}`)
  }
}

/** Serializes a change set for a push. Cost: O(bytes). */
export function encodeChangeSet(cs: ChangeSet): Uint8Array {
  return pack([PROTOCOL_VERSION, cs.device, cs.base, cs.entries.map((e) => [e.key, e.value, e.hlc])])
}

const isBytes = (v: unknown): v is Uint8Array => v instanceof Uint8Array

/** Checks a device id: 1 to 128 printable ASCII characters. */
export function validDevice(d: unknown): d is string {
  return typeof d === 'string' && /^[\x21-\x7e]{1,128}$/.test(d)
}

/**
 * Parses and checks a pushed change set: envelope, keys (valid cowdb keys, strictly increasing,
 * so no key twice), values (decodable), HLCs. Anything wrong is a BadRequest.
 * Cost: O(bytes), values decoded once.
 */
export function decodeChangeSet(bytes: Uint8Array, limits: Limits = DEFAULT_LIMITS): ChangeSet {
  const m = unpack(bytes)
  if (!Array.isArray(m) || m.length !== 4) throw new BadRequest('a change set is [version, device, base, entries]')
  const [v, device, base, list] = m as unknown[]
  if (v !== PROTOCOL_VERSION) throw new BadRequest(`unknown protocol version ${String(v)}`)
  if (!validDevice(device)) throw new BadRequest('device must be 1-128 printable ASCII characters')
  if (!Number.isSafeInteger(base) || (base as number) < 0) throw new BadRequest('base must be a sequence number')
  if (!Array.isArray(list) || list.length === 0) throw new BadRequest('a change set has at least one entry')
  if (list.length > limits.changeSetEntries) throw new BadRequest(`a change set has at most ${limits.changeSetEntries} entries`)
  const entries: Entry[] = []
  let prev: Uint8Array | undefined
  for (const raw of list) {
    if (!Array.isArray(raw) || raw.length !== 3) throw new BadRequest('an entry is [key, value|null, hlc]')
    const [key, value, hlc] = raw as unknown[]
    checkKey(key)
    if (prev && compareKeys(prev, key) >= 0) throw new BadRequest('entries must be in strictly increasing key order')
    prev = key
    if (value !== null) checkValue(value)
    if (typeof hlc !== 'string' || !parseHlc(hlc)) throw new BadRequest('hlc must be an HLC timestamp')
    entries.push({ key, value: value as Uint8Array | null, hlc })
  }
  return { device, base: base as number, entries }
}

/** Throws BadRequest unless `key` is the bytes of a valid cowdb key. */
export function checkKey(key: unknown): asserts key is Uint8Array {
  if (!isBytes(key) || key.length === 0 || key.length > MAX_KEY_BYTES) throw new BadRequest(`a key is 1 to ${MAX_KEY_BYTES} bytes`)
  try {
    decodeKey(key)
  } catch {
    throw new BadRequest('a key is not a valid cowdb key encoding')
  }
}

function checkValue(value: unknown): asserts value is Uint8Array {
  if (!isBytes(value) || value.length === 0) throw new BadRequest('a value is non-empty bytes or null')
  try {
    decodeValue(value)
  } catch {
    throw new BadRequest('a value is not a valid cowdb value encoding')
  }
}

/**
 * The merge rule's order of writes: the later commit HLC wins; on equal HLCs, the greater
 * device id (a fixed, arbitrary, but everywhere-equal choice). Returns > 0 if a wins.
 */
export function compareWrites(a: { hlc: string; device: string }, b: { hlc: string; device: string }): number {
  if (a.hlc !== b.hlc) return a.hlc < b.hlc ? -1 : 1
  return a.device === b.device ? 0 : a.device < b.device ? -1 : 1
}

/** Serializes a pull page. Cost: O(bytes). */
export function encodePullPage(p: PullPage): Uint8Array {
  return pack([
    PROTOCOL_VERSION,
    p.head,
    p.upTo,
    p.sets.map((s) => [s.seq, s.pushId, s.device]),
    p.entries.map((e) => [e.seq, e.idx, e.key, e.value, e.hlc, e.applied, e.offset, e.total]),
    p.next ? [p.next.seq, p.next.idx, p.next.offset] : null,
  ])
}

/** Parses a pull page (from a server the client trusts for content, but not for shape). */
export function decodePullPage(bytes: Uint8Array): PullPage {
  const m = unpack(bytes) as unknown[]
  if (!Array.isArray(m) || m[0] !== PROTOCOL_VERSION || m.length !== 6) throw new BadRequest('not a pull page')
  const [, head, upTo, sets, entries, next] = m as [number, number, number, [number, string, string][], unknown[][], [number, number, number] | null]
  return {
    head,
    upTo,
    sets: sets.map(([seq, pushId, device]) => ({ seq, pushId, device })),
    entries: entries.map(([seq, idx, key, value, hlc, applied, offset, total]) => ({
      seq: seq as number,
      idx: idx as number,
      key: key as Uint8Array,
      value: value as Uint8Array | null,
      hlc: hlc as string,
      applied: applied as boolean,
      offset: offset as number,
      total: total as number,
    })),
    next: next ? { seq: next[0], idx: next[1], offset: next[2] } : null,
  }
}

/** Serializes a state page. */
export function encodeStatePage(p: StatePage): Uint8Array {
  return pack([PROTOCOL_VERSION, p.at, p.head, p.entries.map((e) => [e.key, e.value, e.offset, e.total]), p.next, p.nextOffset])
}

/** Parses a state page. */
export function decodeStatePage(bytes: Uint8Array): StatePage {
  const m = unpack(bytes) as unknown[]
  if (!Array.isArray(m) || m[0] !== PROTOCOL_VERSION || m.length !== 6) throw new BadRequest('not a state page')
  const [, at, head, entries, next, nextOffset] = m as [number, number, number, [Uint8Array, Uint8Array, number, number][], Uint8Array | null, number]
  return { at, head, entries: entries.map(([key, value, offset, total]) => ({ key, value, offset, total })), next, nextOffset }
}

/** Serializes a one-key state answer. */
export function encodeStateValue(v: StateValue): Uint8Array {
  return pack([PROTOCOL_VERSION, v.at, v.head, v.value, v.hlc])
}

/** Parses a one-key state answer. */
export function decodeStateValue(bytes: Uint8Array): StateValue {
  const m = unpack(bytes) as unknown[]
  if (!Array.isArray(m) || m[0] !== PROTOCOL_VERSION || m.length !== 5) throw new BadRequest('not a state value')
  const [, at, head, value, hlc] = m as [number, number, number, Uint8Array | null, string | null]
  return { at, head, value, hlc }
}

/** base64url without padding (keys in query strings). */
export function toBase64Url(bytes: Uint8Array): string {
  let s = ''
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

/** Parses base64url; throws BadRequest on anything else. */
export function fromBase64Url(s: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*$/.test(s)) throw new BadRequest('not base64url')
  let bin: string
  try {
    bin = atob(s.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (s.length % 4)) % 4))
  } catch {
    throw new BadRequest('not base64url')
  }
  const out = new Uint8Array(bin.length)
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i)
  return out
}

/** A push id: 8 to 64 characters of [A-Za-z0-9_-] (the client uses a random UUID). */
export function validPushId(id: string): boolean {
  return /^[A-Za-z0-9_-]{8,64}$/.test(id)
}

/** A database name in a URL: 1 to 128 characters of [A-Za-z0-9._-]. */
export function validDbName(name: string): boolean {
  return /^[A-Za-z0-9._-]{1,128}$/.test(name) && name !== '.' && name !== '..'
}

/** SHA-256 of bytes as hex (Web Crypto: browsers, workers and Node alike). Cost: O(bytes). */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>))
  return [...d].map((b) => b.toString(16).padStart(2, '0')).join('')
}
