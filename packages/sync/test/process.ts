// The sync server as a separate process (the CLI from sources, through tsx), so tests can kill
// it with SIGKILL mid-request and start it again on the same data and port.
import { spawn, type ChildProcess } from 'node:child_process'
import { cpSync, existsSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { PGlite } from '@electric-sql/pglite'

const root = fileURLToPath(new URL('../../..', import.meta.url))
const cli = fileURLToPath(new URL('../src/server/cli.ts', import.meta.url))

export type ServerProcess = { url: string; proc: ChildProcess; kill(): Promise<void>; stop(): Promise<void> }

/** Starts `cowdb-sync-server` with `args` and resolves once it prints its URL. */
export function serverProcess(args: string[]): Promise<ServerProcess> {
  const proc = spawn(process.execPath, ['--import', 'tsx', cli, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] })
  const err: string[] = []
  proc.stderr!.on('data', (d) => err.push(String(d)))
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: proc.stdout! })
    const fail = (why: string) => reject(new Error(`sync server did not start (${why}): ${err.join('')}`))
    proc.once('exit', (code) => fail(`exit ${code}`))
    lines.on('line', (line) => {
      const m = /^listening on (\S+)/.exec(line)
      if (!m) return
      proc.removeAllListeners('exit')
      const exited = new Promise<void>((r) => proc.once('exit', () => r()))
      resolve({
        url: m[1]!,
        proc,
        async kill() {
          proc.kill('SIGKILL')
          await exited
        },
        async stop() {
          proc.kill('SIGTERM')
          await exited
        },
      })
    })
  })
}

/**
 * A fresh PGlite data directory, copied from a template made once per machine: PGlite's initdb
 * takes seconds (longer under load), a copy takes milliseconds. Remove it when done.
 */
export async function pgliteDir(): Promise<string> {
  const tpl = join(tmpdir(), 'cowdb-sync-pglite-template-v1')
  if (!existsSync(join(tpl, 'ready'))) {
    const build = mkdtempSync(`${tpl}-build-`)
    const pg = new PGlite(join(build, 'data'))
    await pg.waitReady
    await pg.close()
    writeFileSync(join(build, 'ready'), '')
    try {
      renameSync(build, tpl)
    } catch {
      rmSync(build, { recursive: true, force: true }) // another test file made it first
    }
  }
  const dir = mkdtempSync(join(tmpdir(), 'cowdb-sync-pg-'))
  cpSync(join(tpl, 'data'), dir, { recursive: true })
  return dir
}
