// The worker entry: the client starts it with
// `new Worker(new URL('./worker.js', import.meta.url), { type: 'module' })`, and it serves from then on.

import { serve } from './serve.js'

serve(globalThis as unknown as DedicatedWorkerGlobalScope) // the libs type globalThis as a window
