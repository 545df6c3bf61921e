// The floor of an awaited read from the main thread: a round trip to a worker that does no work,
// three ways. postMessage is what cowdb uses. A SharedArrayBuffer with Atomics is far faster when
// the worker blocks in Atomics.wait, but cowdb's worker must also serve messages, so it could
// only wait with Atomics.waitAsync, and that is measured too (it decides whether a SAB fast path
// for get() is worth building).

const source = `
onmessage = async (e) => {
  if (!e.data.sab) return postMessage(e.data)
  const i32 = new Int32Array(e.data.sab)
  for (;;) {
    let v
    while ((v = Atomics.load(i32, 0)) !== 1) {
      if (v === 3) return
      if (e.data.blocking) Atomics.wait(i32, 0, v)
      else { const r = Atomics.waitAsync(i32, 0, v); if (r.async) await r.value }
    }
    i32[1] = i32[2] + 1
    Atomics.store(i32, 0, 2)
    Atomics.notify(i32, 0)
  }
}`

const workerUrl = () => URL.createObjectURL(new Blob([source], { type: 'text/javascript' }))

async function viaPostMessage(n: number): Promise<number> {
  const w = new Worker(workerUrl())
  const t = performance.now()
  for (let i = 0; i < n; i++) await new Promise((r) => { w.onmessage = r; w.postMessage(i) })
  const ms = performance.now() - t
  w.terminate()
  return n / (ms / 1000)
}

/** The time of each of `n` bare postMessage round trips to a worker that only echoes, in ms. */
export async function postMessageTrips(n: number): Promise<number[]> {
  const w = new Worker(workerUrl())
  const times: number[] = []
  for (let i = 0; i < n; i++) {
    const t = performance.now()
    await new Promise((r) => { w.onmessage = r; w.postMessage(i) })
    times.push(performance.now() - t)
  }
  w.terminate()
  return times
}

async function viaSharedMemory(n: number, blocking: boolean): Promise<number> {
  const w = new Worker(workerUrl())
  const i32 = new Int32Array(new SharedArrayBuffer(16))
  w.postMessage({ sab: i32.buffer, blocking })
  await new Promise((r) => setTimeout(r, 50))
  const t = performance.now()
  for (let i = 0; i < n; i++) {
    i32[2] = i
    Atomics.store(i32, 0, 1)
    Atomics.notify(i32, 0)
    const r = Atomics.waitAsync(i32, 0, 1)
    if (r.async) await r.value
    if (i32[1] !== i + 1) throw new Error('round trip answered wrong')
    Atomics.store(i32, 0, 0)
  }
  const ms = performance.now() - t
  Atomics.store(i32, 0, 3)
  Atomics.notify(i32, 0)
  w.terminate()
  return n / (ms / 1000)
}

/** Round trips per second: postMessage, and shared memory with a blocking or an async worker. */
export async function roundTrips(n: number): Promise<Record<string, number | string>> {
  const out: Record<string, number | string> = { postMessage: await viaPostMessage(n) }
  if (!globalThis.crossOriginIsolated) return { ...out, SharedArrayBuffer: 'could not run: page is not cross-origin isolated' }
  out['SharedArrayBuffer, worker blocks in Atomics.wait'] = await viaSharedMemory(n, true)
  out['SharedArrayBuffer, worker awaits Atomics.waitAsync'] = await viaSharedMemory(n, false)
  return out
}
