// Kills a writer process with SIGKILL at random moments (fixed seed) and checks, after each
// restart, that every acknowledged commit is there, every acknowledged snapshot reads back as
// it was, the one op in flight is all-or-nothing, and verify() passes.
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect, it } from 'vitest'
import { open } from '../src/open.js'

const SEED = Number(process.env.COWDB_SEED ?? 7)
const KILLS = Number(process.env.COWDB_KILLS ?? 50)

function prng(seed: number) {
  let s = seed >>> 0
  return () => ((s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0) / 2 ** 32)
}

type Msg = { ready?: true; intent?: string; ack?: string; key?: string; value?: unknown; id?: string }

it(`every acknowledged commit survives ${KILLS} SIGKILLs (seed ${SEED})`, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cowdb-crash-'))
  const writer = fileURLToPath(new URL('./crash-writer.ts', import.meta.url))
  const rand = prng(SEED)
  const model = new Map<string, unknown>()
  const snaps: { id: string; state: Map<string, unknown> }[] = []
  try {
    for (let run = 0; run < KILLS; run++) {
      const child = spawn(process.execPath, ['--import', 'tsx', writer, dir, String(run)], { stdio: ['ignore', 'pipe', 'pipe'] })
      let inFlight: Msg | undefined
      let buffered = ''
      let stderr = ''
      child.stderr.on('data', (d) => (stderr += d))
      const ready = new Promise<void>((resolve) => {
        child.stdout.on('data', (d: Buffer) => {
          buffered += d.toString()
          let nl: number
          while ((nl = buffered.indexOf('\n')) >= 0) {
            const m = JSON.parse(buffered.slice(0, nl)) as Msg
            buffered = buffered.slice(nl + 1)
            if (m.ready) resolve()
            else if (m.intent) inFlight = m
            else if (m.ack) {
              inFlight = undefined
              if (m.ack === 'put') model.set(m.key!, m.value)
              else if (m.ack === 'delete') model.delete(m.key!)
              else snaps.push({ id: m.id!, state: new Map(model) })
            }
          }
        })
      })
      // 'close', not 'exit': 'exit' can come while lines the child wrote are still unread, and a
      // missed "intent" line made an op in flight look like a lost acknowledged write
      const exited = new Promise((r) => child.on('close', r))
      await Promise.race([ready, exited])
      expect(stderr).toBe('')
      await new Promise((r) => setTimeout(r, 5 + rand() * 150))
      child.kill('SIGKILL')
      await exited

      const db = await open(dir)
      try {
        const failures: string[] = []
        for (const [k, v] of model) {
          const got = await db.get(k)
          const maybe = inFlight?.intent === 'delete' && inFlight.key === k
          if (!(maybe && got === undefined)) {
            try {
              expect(got).toEqual(v)
            } catch {
              failures.push(`${k}: expected ${JSON.stringify(v)?.slice(0, 60)}, got ${JSON.stringify(got)?.slice(0, 60)}`)
            }
          }
        }
        expect(failures, `run ${run} (seed ${SEED})`).toEqual([])
        // the op in flight is whole or absent; it becomes part of the model either way
        if (inFlight?.intent === 'put') {
          const got = await db.get(inFlight.key!)
          if (got !== undefined) {
            expect(got).toEqual(inFlight.value)
            model.set(inFlight.key!, inFlight.value)
          }
        } else if (inFlight?.intent === 'delete' && (await db.get(inFlight.key!)) === undefined) model.delete(inFlight.key!)
        const size = model.size
        expect(await db.count()).toBe(size)
        for (const s of snaps.slice(-3)) {
          for (const [k, v] of [...s.state].slice(-20)) expect(await db.get(k, { snapshot: s.id })).toEqual(v)
        }
        const report = await db.verify()
        expect(report.errors, `verify after run ${run}`).toEqual([])
      } finally {
        await db.close()
      }
    }
    expect(model.size).toBeGreaterThan(KILLS)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}, 600_000)
