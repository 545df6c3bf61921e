// The browser features the worker needs, checked where they are used (the worker's global scope):
// OPFS sync access handles exist only in dedicated workers.

/** What is missing in this scope for a worker to serve a database (empty: everything is there). Cost: O(1). */
export function missingFeatures(share: boolean): string[] {
  const g = globalThis as { navigator?: Navigator; indexedDB?: unknown; BroadcastChannel?: unknown; FileSystemFileHandle?: { prototype: object } }
  const missing: string[] = []
  if (typeof g.navigator?.locks?.request !== 'function') missing.push('Web Locks (navigator.locks)')
  // OPFS is not required: without sync access handles the pages go to IndexedDB (storage.ts)
  if (!g.indexedDB) missing.push('IndexedDB')
  if (share && typeof g.BroadcastChannel !== 'function') missing.push('BroadcastChannel')
  return missing
}
