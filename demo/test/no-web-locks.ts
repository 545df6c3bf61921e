// Takes Web Locks away from this worker's scope (imported first by unsupported-worker.ts): cowdb
// needs them to elect the tab that owns the files. (OPFS sync handles are not required any more:
// without them the pages go to IndexedDB.)
Object.defineProperty(navigator, 'locks', { value: undefined, configurable: true })
