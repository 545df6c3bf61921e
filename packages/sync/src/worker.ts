// @cowdb/sync/worker: what a worker that owns a browser database needs to host its sync
// (client/host.ts). @cowdb/browser's worker bundles it; apps do not import it.
import { hostedEngine } from './client/engine.js'
import { SyncHost } from './client/host.js'
import type { SyncDatabase } from './client/local.js'

export type { SyncHost }

/** Hosts the sync of `db`, the browser database `name` this worker owns, until close(). Cost: one BroadcastChannel until a page asks. */
export function hostSync(db: SyncDatabase, name: string): SyncHost {
  return new SyncHost(db, name, hostedEngine)
}
