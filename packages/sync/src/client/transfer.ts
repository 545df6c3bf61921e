// Moving change sets: a push in one request or in bounded parts, the log after a cursor in
// bounded pages (a large value in slices, joined here), and the state at a sequence.

import { decodePullPage, decodeStatePage, decodeStateValue, sha256Hex, toBase64Url, type LogEntry, type StatePage, type StateValue } from '../protocol.js'
import { request, requestBytes, requestJson, type Remote } from './http.js'

export type Progress = { phase: 'push' | 'pull' | 'merge'; done: number; total: number }

/** What the server says of a database: its head and the request sizes it takes. */
export type Head = { seq: number; partBytes: number }

/** The database's head sequence and the server's part size. Cost: one round trip. */
export async function fetchHead(remote: Remote): Promise<Head> {
  return requestJson<Head>(remote, 'head')
}

/**
 * Pushes a serialized change set under `pushId`: in one request if it fits in `partBytes`, else
 * as parts and a commit naming their count, size and SHA-256. Sending the same push id again
 * (a retry after any failure) never appends twice: the server answers with the first sequence.
 * Cost: O(bytes) sent, one round trip per part.
 */
export async function upload(remote: Remote, pushId: string, payload: Uint8Array, partBytes: number, onProgress?: (p: Progress) => void): Promise<{ seq: number; duplicate: boolean }> {
  const path = `push/${pushId}`
  if (payload.length <= partBytes) {
    const out = await requestJson<{ seq: number; duplicate: boolean }>(remote, path, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: payload as Uint8Array<ArrayBuffer> })
    onProgress?.({ phase: 'push', done: payload.length, total: payload.length })
    return out
  }
  const parts = Math.ceil(payload.length / partBytes)
  for (let i = 0; i < parts; i++) {
    const body = payload.subarray(i * partBytes, (i + 1) * partBytes)
    await request(remote, `${path}/parts/${i}`, { method: 'PUT', headers: { 'content-type': 'application/octet-stream' }, body: body as Uint8Array<ArrayBuffer> })
    onProgress?.({ phase: 'push', done: Math.min(payload.length, (i + 1) * partBytes), total: payload.length })
  }
  const commit = { parts, bytes: payload.length, sha256: await sha256Hex(payload) }
  return requestJson(remote, path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(commit) })
}

/** The log after a cursor: every entry, values whole, with the change sets they belong to. */
export type Pulled = { upTo: number; entries: LogEntry[]; sets: Map<number, { pushId: string; device: string }> }

/**
 * Reads the log from sequence `after + 1` up to `upTo` (default: the head when the first page
 * is read), page by page, joining sliced values. Cost: O(entries + bytes), one round trip per page.
 */
export async function pullAll(remote: Remote, after: number, upTo: number | undefined, onProgress?: (p: Progress) => void): Promise<Pulled> {
  const out: Pulled = { upTo: upTo ?? after, entries: [], sets: new Map() }
  let at: { seq: number; idx: number; offset: number } | null = { seq: after + 1, idx: 0, offset: 0 }
  let slices: Uint8Array[] = []
  while (at) {
    const q = new URLSearchParams({ from: String(at.seq), idx: String(at.idx), offset: String(at.offset) })
    if (upTo !== undefined) q.set('upTo', String(upTo))
    const page = decodePullPage(await requestBytes(remote, `pull?${q}`))
    upTo = page.upTo
    out.upTo = page.upTo
    for (const s of page.sets) out.sets.set(s.seq, { pushId: s.pushId, device: s.device })
    for (const e of page.entries) {
      if (e.value === null || (e.offset === 0 && e.value.length === e.total)) {
        out.entries.push({ seq: e.seq, idx: e.idx, key: e.key, value: e.value, hlc: e.hlc, applied: e.applied })
      } else {
        if (e.offset === 0) slices = []
        slices.push(e.value)
        if (e.offset + e.value.length === e.total) out.entries.push({ seq: e.seq, idx: e.idx, key: e.key, value: join(slices, e.total), hlc: e.hlc, applied: e.applied })
      }
    }
    onProgress?.({ phase: 'pull', done: page.next ? page.next.seq - after - 1 : page.upTo - after, total: page.upTo - after })
    at = page.next
  }
  return out
}

/**
 * The whole state at sequence `at` (default: the head when the first page is read), in key
 * order, values whole; `onAt` hears the sequence read even when the state is empty.
 * Cost: O(state) transferred.
 */
export async function* stateEntries(remote: Remote, opts: { at?: number; gte?: Uint8Array; lt?: Uint8Array; limit?: number } = {}, onAt?: (at: number) => void): AsyncGenerator<{ key: Uint8Array; value: Uint8Array; at: number }> {
  let after: Uint8Array | null = null
  let afterOffset = 0
  let at = opts.at
  let slices: Uint8Array[] = []
  let left = opts.limit ?? Infinity
  for (;;) {
    const q = new URLSearchParams()
    if (at !== undefined) q.set('at', String(at))
    if (opts.gte) q.set('gte', toBase64Url(opts.gte))
    if (opts.lt) q.set('lt', toBase64Url(opts.lt))
    if (after) q.set('after', toBase64Url(after))
    if (afterOffset) q.set('afterOffset', String(afterOffset))
    q.set('limit', String(Math.min(left, 1000)))
    const page: StatePage = decodeStatePage(await requestBytes(remote, `state?${q}`))
    at = page.at // every later page reads the same sequence
    onAt?.(at)
    for (const e of page.entries) {
      if (e.offset === 0 && e.value.length === e.total) {
        yield { key: e.key, value: e.value, at: page.at }
        left--
      } else {
        if (e.offset === 0) slices = []
        slices.push(e.value)
        if (e.offset + e.value.length === e.total) {
          yield { key: e.key, value: join(slices, e.total), at: page.at }
          left--
        }
      }
    }
    if (!page.next || left <= 0) return
    after = page.next
    afterOffset = page.nextOffset
  }
}

/** The stored value of one key at sequence `at` (default head). Cost: one round trip. */
export async function stateValue(remote: Remote, key: Uint8Array, at?: number): Promise<StateValue> {
  const q = new URLSearchParams({ key: toBase64Url(key) })
  if (at !== undefined) q.set('at', String(at))
  return decodeStateValue(await requestBytes(remote, `state?${q}`))
}

function join(parts: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total)
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}
