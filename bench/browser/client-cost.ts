// What the page's main thread pays to talk to cowdb's worker (issue #13, item 5: where values are
// encoded). Two ways to send a tick's puts: post the values and let postMessage's structured
// clone copy them (what the client does; the worker encodes), or encode each value in the client
// with the engine's own codec and send the bytes, written back to back into one transferred
// buffer (the cheapest form of it: a typed array per value costs more to clone than the values).
// Both are timed on the same value mix as the Node codec bench, on the main thread, synchronously
// (postMessage serializes before it returns). Also: what reading back costs the main thread each
// way (structured clone's deserialization vs the codec's decode, which issue #18 will need), the
// real client's main-thread time for a tick of puts and for a batch, and when transferring a
// buffer beats copying it.
import { openDB } from '@cowdb/browser'
import { encodeKey } from '@cowdb/core/keys'
import { writeOps } from '@cowdb/core/ops'
import { decodeValue, encodeValue } from '@cowdb/core/values'
import { median, type Row } from '../measure.ts'
import { samples } from '../values.ts'

const sink = () =>
  new Worker(
    URL.createObjectURL(
      new Blob(
        [
          `let kept
onmessage = (e) => {
  if (e.data.keep) kept = e.data.keep
  else if (e.data.echo) postMessage(kept)
}`,
        ],
        { type: 'text/javascript' },
      ),
    ),
  )

/** Median ms of `reps` runs of a synchronous step. */
function timeSync(reps: number, step: () => void): number {
  const times: number[] = []
  for (let i = 0; i < reps; i++) {
    const t = performance.now()
    step()
    times.push(performance.now() - t)
  }
  return median(times)
}

/** Median ms the main thread spends taking `kept` from the worker's message (plus `use`). */
async function timeReceive(w: Worker, reps: number, use: (data: unknown) => void): Promise<number> {
  const times: number[] = []
  for (let i = 0; i < reps; i++) {
    times.push(
      await new Promise<number>((resolve) => {
        w.onmessage = (e) => {
          const t = performance.now()
          use(e.data) // Chromium deserializes the message when `data` is first read
          resolve(performance.now() - t)
        }
        w.postMessage({ echo: true })
      }),
    )
  }
  return median(times)
}

/** The client's cost per tick of `n` puts of each value shape, encoded here vs cloned by postMessage. */
export async function clientCost(n: number, reps: number): Promise<Row[]> {
  const rows: Row[] = []
  const keys = Array.from({ length: n }, (_, i) => `k${String(i).padStart(8, '0')}`)
  const w = sink()
  for (const [shape, value] of samples) {
    const values = Array.from({ length: n }, () => structuredClone(value))
    const cloned = timeSync(reps, () => w.postMessage({ kind: 'calls', calls: values.map((v, i) => ({ id: i, method: 'put', args: [keys[i], v] })) }))
    const encoded = timeSync(reps, () => {
      // each put's ops encoded at call time, the tick's bodies packed into one transferred buffer
      const bodies = values.map((v, i) => writeOps([{ type: 'put', key: encodeKey(keys[i]!), value: encodeValue(v) }]))
      const all = new Uint8Array(bodies.reduce((n, b) => n + b.length, 0))
      let at = 0
      const calls = bodies.map((b, i) => {
        all.set(b, at)
        at += b.length
        return { id: i, method: 'commit', args: [all.subarray(at - b.length, at)] }
      })
      w.postMessage({ kind: 'calls', calls }, [all.buffer])
    })
    rows.push({ workload: `send ${n.toLocaleString('en-US')} puts of ${shape}`, unit: 'ms (main thread)', cowdb: cloned, peers: { 'encoded in the client': encoded }, higherIsBetter: false, note: 'cowdb: values posted, structured clone' })
    w.postMessage({ keep: values })
    const cloneIn = await timeReceive(w, reps, (d) => void (d as unknown[]).length)
    w.postMessage({ keep: values.map((v) => encodeValue(v)) })
    const decodeIn = await timeReceive(w, reps, (d) => void (d as Uint8Array[]).map(decodeValue))
    rows.push({ workload: `receive ${n.toLocaleString('en-US')} values of ${shape}`, unit: 'ms (main thread)', cowdb: cloneIn, peers: { 'encoded in the client': decodeIn }, higherIsBetter: false, note: 'cowdb: values posted; the other way decodes bytes here' })
  }
  w.terminate()
  rows.push(...(await transferCost(reps)))
  rows.push(...(await clientTick(n, reps)))
  return rows
}

/** When transferring beats copying: buffers of each size posted either way, sender's ms (it is the one that pays). */
async function transferCost(reps: number): Promise<Row[]> {
  const w = sink()
  const rows: Row[] = []
  for (const [count, size] of [[10_000, 100], [10_000, 1024], [2_000, 4096], [1_000, 16 * 1024], [64, 1 << 20]] as const) {
    const fresh = () => Array.from({ length: count }, () => new Uint8Array(size))
    const copy = timeSync(reps, () => w.postMessage(fresh()))
    const moved = timeSync(reps, () => {
      const bufs = fresh()
      w.postMessage(bufs, bufs.map((b) => b.buffer))
    })
    const label = size >= 1 << 20 ? `${size >> 20} MiB` : size >= 1024 ? `${size >> 10} KiB` : `${size} B`
    rows.push({ workload: `post ${count.toLocaleString('en-US')} buffers of ${label}`, unit: 'ms (sender)', cowdb: size >= 16 * 1024 ? moved : copy, peers: { copied: copy, transferred: moved }, higherIsBetter: false, note: 'cowdb transfers from 16 KiB; both include allocating the buffers' })
  }
  w.terminate()
  return rows
}

/** The real client: main-thread ms for one tick of `n` un-awaited puts of the value mix, and for a batch of them. */
async function clientTick(n: number, reps: number): Promise<Row[]> {
  const db = await openDB(`client-cost-${Date.now()}`)
  const mix = samples.map(([, v]) => v)
  const tick = (run: () => Promise<unknown>) => async () => {
    const t = performance.now()
    const done = run()
    await new Promise<void>((resolve) => queueMicrotask(resolve)) // the client's send ran before this
    const sync = performance.now() - t
    await done
    return [sync, performance.now() - t]
  }
  const rows: Row[] = []
  for (const [what, run] of [
    [`one tick of ${n.toLocaleString('en-US')} un-awaited puts`, () => Promise.all(Array.from({ length: n }, (_, i) => db.put(`t${i}`, mix[i % mix.length])))],
    [`batch() of ${n.toLocaleString('en-US')} puts`, () => db.batch(Array.from({ length: n }, (_, i) => ({ type: 'put' as const, key: `b${i}`, value: mix[i % mix.length] })))],
  ] as const) {
    const sync: number[] = []
    const total: number[] = []
    for (let r = 0; r < reps; r++) {
      const [s, t] = await tick(run)()
      sync.push(s!)
      total.push(t!)
    }
    rows.push({ workload: `${what} (value mix), real client: main thread`, unit: 'ms', cowdb: median(sync), peers: {}, higherIsBetter: false })
    rows.push({ workload: `${what} (value mix), real client: until durable`, unit: 'ms', cowdb: median(total), peers: {}, higherIsBetter: false })
  }
  await db.close()
  return rows
}
