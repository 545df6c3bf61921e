// @cowdb/sync's browser worker: cowdb's worker (@cowdb/browser's serve) that also hosts the sync of
// the database it owns (client/host.ts). Pages start it with syncWorker() (index.ts), passed to
// openDB as the `worker` option; the build bundles it into one self-contained file
// (dist/browser-worker.js), as @cowdb/browser's own worker is.
import { serve } from '@cowdb/browser/serve'
import { hostSync } from './worker.js'

serve(globalThis as unknown as Parameters<typeof serve>[0], { host: { name: 'sync', start: (db, name) => hostSync(db, name) } })
