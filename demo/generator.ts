// The data generator: 10,000 to 1,000,000 made-up users, 5,000 per commit (each batch atomic),
// with a progress bar, a rate, and Cancel (stops after the batch in flight). Keys carry a run id,
// so every run adds keys, and the tree, the charts and the history grow while you watch.
import { app } from './app.ts'
import { $ } from './dom.ts'
import { fail, say } from './feedback.ts'
import { num } from './format.ts'
import { sampleSoon } from './live.ts'

const BATCH = 5000
const FIRST = ['Ada', 'Alan', 'Grace', 'Edsger', 'Barbara', 'Donald', 'Frances', 'Ken', 'Radia', 'Leslie', 'Margaret', 'Niklaus', 'Shafi', 'Tony', 'Jim', 'Sophie']
const LAST = ['Lovelace', 'Turing', 'Hopper', 'Dijkstra', 'Liskov', 'Knuth', 'Allen', 'Thompson', 'Perlman', 'Lamport', 'Hamilton', 'Wirth', 'Goldwasser', 'Hoare', 'Gray', 'Wilson']
const CITIES = ['Lisbon', 'Nairobi', 'Osaka', 'Lima', 'Oslo', 'Pune', 'Quito', 'Tunis', 'Perth', 'Leeds']

let cancelled = false
let running = false

/** A small seeded generator (mulberry32), so a run's data is the same for the same run id. */
function random(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function user(rand: () => number, n: number) {
  const pick = <T>(list: T[]) => list[Math.floor(rand() * list.length)]!
  const first = pick(FIRST)
  const last = pick(LAST)
  return { name: `${first} ${last}`, email: `${first}.${last}${n}@example.org`.toLowerCase(), city: pick(CITIES), score: Math.floor(rand() * 1000), active: rand() < 0.8 }
}

function show(done: number, total: number, started: number, state: string): void {
  const bar = $<HTMLProgressElement>('gen-progress')
  bar.max = total
  bar.value = done
  const secs = (performance.now() - started) / 1000
  const rate = secs > 0 ? done / secs : 0
  const text = `${state} ${num(done)} / ${num(total)} keys${rate ? ` · ${num(rate)} keys/s` : ''}`
  bar.setAttribute('aria-valuetext', text)
  $('gen-status').textContent = text
  const pill = $('gen-pill')
  pill.hidden = state !== 'generating'
  pill.textContent = `generating ${Math.floor((done / total) * 100)}%`
}

async function generate(total: number): Promise<void> {
  if (running) return
  running = true
  cancelled = false
  const run = Math.random().toString(36).slice(2, 6)
  const rand = random(parseInt(run, 36))
  const branch = app.branch
  const started = performance.now()
  const start = $<HTMLButtonElement>('gen-start')
  const cancel = $<HTMLButtonElement>('gen-cancel')
  start.disabled = true
  cancel.disabled = false
  let done = 0
  show(0, total, started, 'generating')
  try {
    while (done < total && !cancelled) {
      const n = Math.min(BATCH, total - done)
      const ops = Array.from({ length: n }, (_, i) => ({ type: 'put' as const, key: `user:${run}:${String(done + i + 1).padStart(7, '0')}`, value: user(rand, done + i + 1) }))
      await app.db.batch(ops, { branch })
      done += n
      show(done, total, started, 'generating')
    }
    show(done, total, started, cancelled ? 'cancelled after' : 'done:')
    say(cancelled ? `generator cancelled: ${num(done)} of ${num(total)} keys written (each batch of ${num(BATCH)} is one atomic commit)` : `generated ${num(total)} keys under user:${run}: on ${branch} in ${((performance.now() - started) / 1000).toFixed(1)} s`, cancelled ? 'info' : 'ok')
  } catch (e) {
    show(done, total, started, 'stopped after')
    fail(e)
  } finally {
    running = false
    start.disabled = false
    cancel.disabled = true
    $('gen-pill').hidden = true
    sampleSoon()
  }
}

/** Wires the card. Cost: O(1). */
export function wireGenerator(): void {
  $('gen-start').onclick = () => void generate(Number($<HTMLSelectElement>('gen-size').value))
  $('gen-cancel').onclick = () => {
    cancelled = true
    $<HTMLButtonElement>('gen-cancel').disabled = true
    $('gen-status').textContent += ' · cancelling after this batch…'
  }
}
