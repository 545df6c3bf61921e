// The writer half of the seqlock stress test (demo/test/shared-reads.ts, seqlockStress): publishes
// the pages it is given into a shared cache far too small for them, round and round, as fast as it
// can, so that nearly every entry a reader looks at is being overwritten by another page.
import { SharedCacheWriter } from '../../packages/browser/src/shared-cache.ts'

onmessage = (e: MessageEvent<{ buffer: SharedArrayBuffer; pages: [number, Uint8Array][]; ms: number }>) => {
  const writer = new SharedCacheWriter(e.data.buffer)
  postMessage('started')
  const end = performance.now() + e.data.ms
  while (performance.now() < end) for (const [id, page] of e.data.pages) writer.put(id, (into) => (into.set(page), true))
  postMessage(writer.written)
}
