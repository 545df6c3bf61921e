// @cowdb/sync: sync a cowdb database through a server on Postgres. This entry is the client
// (browsers, workers, Node); the server is `@cowdb/sync/server`.
export { sync, type SyncOptions, type SyncHandle, type SyncStatus, type Resolver, type ConflictInfo } from './client/engine.js'
export type { UndoResult } from './client/own-edits.js'
export { pointInTime, scanAt, restoreFrom, headSeq, type AtOptions } from './client/at.js'
export { branchLocalSync, syncNames, type LocalSync, type SyncDatabase, type SyncState } from './client/local.js'
export { planMerge, type KeyPlan, type MergeInput } from './client/merge.js'
export { SyncHttpError, SyncOfflineError, type TokenSource } from './client/http.js'
export type { Progress } from './client/transfer.js'
export * from './protocol.js'

/**
 * Starts cowdb's browser worker with the sync host in it, for `openDB(name, { worker: syncWorker() })`
 * in every tab: the worker that owns the database then runs sync() for every page, and merges
 * never run on a page's main thread (docs/sync.md, "Where sync runs"). Cost: one worker.
 */
export function syncWorker(): Worker {
  const worker = new Worker(new URL('./browser-worker.js', import.meta.url), { type: 'module' })
  // one of cowdb's own workers: where it fails to load again in a tab (WebKitGTK), openDB starts
  // it once more from the URL it learnt (see @cowdb/browser's client)
  ;(worker as unknown as Record<symbol, string>)[Symbol.for('cowdb.worker')] = 'sync'
  return worker
}
