// Asking the browser to keep this origin's storage through its housekeeping (eviction under
// storage pressure). navigator.storage.persist() exists on the main thread only, and some
// browsers answer it with a permission prompt that can stay open indefinitely, so openDB never
// waits for the answer: stats().storage.persisted reports the state whenever asked.

/**
 * Asks for persistent storage; resolves with the browser's answer, or null where the browser
 * has no such API or refuses to be asked here. Cost: one async call (may prompt the user).
 */
export async function requestPersistence(): Promise<boolean | null> {
  try {
    const persist = globalThis.navigator?.storage?.persist
    if (typeof persist !== 'function') return null
    return await navigator.storage.persist()
  } catch {
    return null
  }
}
