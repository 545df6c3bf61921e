// `npm start` stops with its children: SIGTERM or SIGINT to the start script ends the Vite server
// it started, and the script exits.
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { origin, port, repo } from './apps'
import { expect, test } from '../../e2e/fixtures'

const answers = () => fetch(origin).then((r) => r.ok, () => false)

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  test(`npm start's script ends the playground server on ${signal}`, async () => {
    expect(await answers()).toBe(false)
    const start = spawn(process.execPath, [join(repo, 'scripts/start.mjs')], { cwd: repo, env: { ...process.env, PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    start.stdout.on('data', (d) => (output += d))
    start.stderr.on('data', (d) => (output += d))
    const exited = new Promise<number | null>((resolve) => start.once('exit', (code) => resolve(code)))
    try {
      await expect.poll(answers, { timeout: 120_000, message: `the playground did not come up:\n${output}` }).toBe(true)
      start.kill(signal)
      expect(await exited).not.toBe(0) // killed by the signal, passed on from Vite
      // nothing listens any more: the child went with its parent
      expect(await answers()).toBe(false)
    } finally {
      if (start.exitCode === null) start.kill('SIGKILL')
    }
  })
}
