// Child process for crash.test.ts: writes forever, announcing each op before it starts
// ("intent") and after it is durable ("ack"), until the parent kills it with SIGKILL.
import { open } from '../src/open.js'

const [dir, runArg] = process.argv.slice(2)
const run = Number(runArg)
const say = (o: unknown) => process.stdout.write(JSON.stringify(o) + '\n')

const db = await open(dir!, { walCheckpointBytes: 32 * 1024, checkpointDelayMs: 5, pageSize: 1024 })
say({ ready: true })
for (let i = 0; ; i++) {
  const key = `r${run}:${String(i).padStart(6, '0')}`
  if (i % 20 === 19) {
    say({ intent: 'snapshot' })
    const s = await db.snapshot()
    say({ ack: 'snapshot', id: s.id })
  } else if (i % 7 === 6) {
    const victim = `r${run}:${String(i - 3).padStart(6, '0')}`
    say({ intent: 'delete', key: victim })
    await db.delete(victim)
    say({ ack: 'delete', key: victim })
  } else {
    const value = { run, i, pad: 'x'.repeat(i % 5 === 0 ? 3000 : 40) }
    say({ intent: 'put', key, value })
    await db.put(key, value)
    say({ ack: 'put', key, value })
  }
}
