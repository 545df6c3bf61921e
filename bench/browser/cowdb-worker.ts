// cowdb on OPFS sync access handles, inside this worker.
import { hostEngine } from './engine.ts'
import { cowdbEngine } from './cowdb-engine.ts'

hostEngine(() => cowdbEngine('opfs'))
