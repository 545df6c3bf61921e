// cowdb on its IndexedDB page store (the fallback where OPFS sync access handles are missing).
import { hostEngine } from './engine.ts'
import { cowdbEngine } from './cowdb-engine.ts'

hostEngine(() => cowdbEngine('indexeddb'))
