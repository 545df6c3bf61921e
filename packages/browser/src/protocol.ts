// The wire format between the main-thread client and the worker. Calls travel in batches:
// every call the client makes in one tick goes in one message, and each gets its own result.
// Errors cross as { name, message, ...fields } and are rebuilt with the same class.

import { reviveError, type ChangeEvent, type Progress } from '@cowdb/core'
import type { QuotaInfo } from './engine.js'

/** Database methods the worker runs on behalf of the client. */
export const METHODS = [
  'get', 'getMany', 'put', 'delete', 'batch', 'deleteRange', 'scan', 'count',
  'snapshot', 'snapshots', 'dropSnapshot', 'restore', 'diff', 'checkpoint',
  'gc', 'stats', 'metrics', 'verify', 'openReader', 'closeReader', 'commitPlan',
  'undo', 'redo', 'branch', 'branches', 'dropBranch', 'setRetention', 'getRetention', 'space',
  'subscribe', 'unsubscribe', 'exportBackup', 'importBackup', 'role', 'compact', 'inspect',
] as const
export type Method = (typeof METHODS)[number]

export type Call = { method: Method; args: unknown[] }
export type Result = { ok: true; value: unknown } | { ok: false; error: WireError }
export type WireError = { name: string; message: string; slot?: number; pageId?: number; lost?: string }

export type OpenRequest = { name: string; options: Record<string, unknown>; lockTimeout: number; share: boolean }

/** The API the worker exposes through Comlink. */
export interface WorkerApi {
  open(req: OpenRequest): Promise<void>
  call(calls: Call[]): Promise<Result[]>
  /** Hands the worker a port for the hot path: [id, calls] in, [id, results] out. */
  connect(port: MessagePort): void
  close(): Promise<void>
}

/** One batch on the call port. */
export type BatchRequest = [id: number, calls: Call[]]
export type BatchResponse = [id: number, results: Result[]]
/** A subscription's change event, pushed by the worker on the call port. */
export type EventMessage = ['event', subscription: number, event: ChangeEvent] | ['progress', call: number, progress: Progress] | ['quota', info: QuotaInfo]
/** Options that carry `$progress: id` in place of an onProgress function (which can't be cloned). */
export type ProgressOptions = { $progress?: number }

export function toWire(e: unknown): WireError {
  if (e instanceof Error) {
    const w: WireError = { name: e.name, message: e.message }
    const f = e as Error & { slot?: number; pageId?: number; lost?: unknown }
    if (typeof f.slot === 'number') w.slot = f.slot
    if (typeof f.pageId === 'number') w.pageId = f.pageId
    if (typeof f.lost === 'string') w.lost = f.lost
    return w
  }
  return { name: 'Error', message: String(e) }
}

export function fromWire(w: WireError): Error {
  const { name, message, ...extra } = w
  return reviveError(name, message, extra)
}
