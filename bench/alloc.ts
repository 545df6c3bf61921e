// Bytes a piece of work allocates on V8's heap, from the heap statistics before and after every
// garbage collection in between (v8.GCProfiler): objects that die young are counted too, which
// the heap size at the end cannot show. The external (ArrayBuffer) figure is computed the same
// way but is not reliable (V8 updates it lazily): the benches report only the heap.
import v8 from 'node:v8'

type HeapStats = { usedHeapSize: number; externalMemory: number }

/** Runs `fn` and returns what it allocated, in bytes (heap and external). */
export async function allocated(fn: () => Promise<unknown>): Promise<{ heap: number; external: number }> {
  const profiler = new v8.GCProfiler()
  const now = (): HeapStats => {
    const s = v8.getHeapStatistics()
    return { usedHeapSize: s.used_heap_size, externalMemory: s.external_memory }
  }
  const start = now()
  profiler.start()
  await fn()
  const end = now()
  const gcs = profiler.stop()?.statistics ?? []
  let heap = 0
  let external = 0
  let after = start
  for (const g of gcs as { beforeGC: { heapStatistics: HeapStats }; afterGC: { heapStatistics: HeapStats } }[]) {
    heap += g.beforeGC.heapStatistics.usedHeapSize - after.usedHeapSize
    external += Math.max(0, g.beforeGC.heapStatistics.externalMemory - after.externalMemory)
    after = g.afterGC.heapStatistics
  }
  heap += end.usedHeapSize - after.usedHeapSize
  external += Math.max(0, end.externalMemory - after.externalMemory)
  return { heap, external }
}
