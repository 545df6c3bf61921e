// Helpers for the install-and-run tests: pack the packages, write an app into a temporary
// directory outside the repository, install the tarballs there with npm (their own dependencies
// come from the npm registry, as for a user), run the app's build, serve it, and drive it.
// Build tools (Vite, webpack, esbuild, TypeScript) are the workspace's own copies, run with the
// app as working directory: they are not what is under test, and linking them saves an install.
import { spawn, spawnSync, type SpawnSyncOptions } from 'node:child_process'
import { createReadStream, existsSync, mkdirSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { tmpdir } from 'node:os'
import { dirname, extname, join, normalize } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Page } from '@playwright/test'
import { collectErrors, expect } from '../../e2e/fixtures'

export const repo = fileURLToPath(new URL('../..', import.meta.url))
export const port = Number(process.env.E2E_PORT ?? 5199)
export const origin = `http://localhost:${port}`

/** The packages that are published, dependencies first. */
export const PUBLISHED = ['core', 'node', 'browser', 'level', 'react'].filter((p) => existsSync(join(repo, 'packages', p, 'package.json')))

/** The workspace's build tools, as scripts to run with node. */
export const tools = {
  vite: join(repo, 'node_modules/vite/bin/vite.js'),
  tsc: join(repo, 'node_modules/typescript/bin/tsc'),
  esbuild: join(repo, 'test/pack/node_modules/esbuild/bin/esbuild'),
}

/** Packs every published package into `dest` with `pnpm pack` (which turns workspace:* into versions). */
export function packAll(dest: string): void {
  const filters = PUBLISHED.flatMap((p) => ['--filter', `./packages/${p}`])
  sh(process.execPath, [join(repo, 'scripts/pnpm.mjs'), '-r', ...filters, 'pack', '--pack-destination', dest], { cwd: repo })
}

/** The tarball of package `name` ('core', 'browser', ...) made by the global setup. */
export function tarball(name: string): string {
  const dir = process.env.COWDB_TARBALLS
  if (!dir) throw new Error('COWDB_TARBALLS is not set: run these tests through test/pack/playwright.config.ts')
  const file = readdirSync(dir).find((f) => f.startsWith(`cowdb-${name}-`) && f.endsWith('.tgz'))
  if (!file) throw new Error(`no tarball for @cowdb/${name} in ${dir}`)
  return join(dir, file)
}

/** Writes `files` into a new directory under the OS temp dir (outside the repository). */
export function makeApp(name: string, files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), `cowdb-app-${name}-`))
  writeFiles(dir, files)
  return dir
}

export function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [f, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, f)), { recursive: true })
    writeFileSync(join(dir, f), text)
  }
}

/** Runs a command to completion; throws with its output if it fails. Returns stdout and stderr. */
export function sh(cmd: string, args: string[], opts: SpawnSyncOptions = {}): { stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...opts })
  const out = { stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '') }
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status ?? r.signal}\n${out.stdout}\n${out.stderr}`)
  return out
}

/**
 * `npm install` in `dir` (specs: tarball paths and registry names). Returns npm's warnings, so a
 * test can insist there are none, but one explained in docs/guide.md: npm 11 lists packages whose
 * install scripts no `allowScripts` entry approves, and msgpackr (the value codec) has one in its
 * optional native decoder, msgpackr-extract (prebuilt; msgpackr works without it).
 */
export function npmInstall(dir: string, specs: string[]): string[] {
  const { stdout, stderr } = sh('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=warn', ...specs], { cwd: dir })
  const warnings = `${stdout}\n${stderr}`.split('\n').filter((l) => /\bwarn/i.test(l))
  const scripts = warnings.filter((l) => /^npm warn install-scripts\s+\S+@\S+ \(/.test(l)).map((l) => l.split(/\s+/)[3]!.replace(/@[^@]*$/, ''))
  const explained = scripts.length > 0 && scripts.every((p) => p === 'msgpackr-extract')
  return explained ? warnings.filter((l) => !l.startsWith('npm warn install-scripts')) : warnings
}

const MIME: Record<string, string> = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.css': 'text/css',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
}

/** Serves `dir` as static files on the test port (no special headers: COOP/COEP are not needed). */
export async function serve(dir: string): Promise<{ close: () => Promise<void> }> {
  const server = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? '/', origin).pathname)).replace(/^(\.\.[/\\])+/, '')
    let file = join(dir, path)
    if (existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html')
    if (!file.startsWith(dir) || !existsSync(file)) {
      res.writeHead(404).end('not found')
      return
    }
    res.writeHead(200, { 'content-type': MIME[extname(file)] ?? 'application/octet-stream' })
    createReadStream(file).pipe(res)
  })
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, 'localhost', resolve))
  return { close: () => new Promise<void>((resolve) => server.close(() => resolve())) }
}

/** Starts a server command (a dev server), waits until `origin` answers; stop() ends it. */
export async function startServer(cmd: string, args: string[], cwd: string): Promise<{ stop: () => Promise<void>; output: () => string }> {
  const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout.on('data', (d) => (output += d))
  child.stderr.on('data', (d) => (output += d))
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const deadline = Date.now() + 60_000
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${cmd} ${args.join(' ')} exited early:\n${output}`)
    if (await fetch(origin).then((r) => r.ok, () => false)) break
    if (Date.now() > deadline) {
      child.kill()
      throw new Error(`${cmd} did not answer on ${origin} within 60 s:\n${output}`)
    }
    await new Promise((r) => setTimeout(r, 200))
  }
  return {
    output: () => output,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM')
      await exited
    },
  }
}

/** The app page every bundler test builds: main.js exposes `app.open()` and says 'loaded'. */
export function browserApp(openOptions = '{}'): Record<string, string> {
  return {
    'src/main.js': `import { openDB } from '@cowdb/browser'
window.app = { open: () => openDB('app', ${openOptions}) }
document.body.textContent = 'loaded'
`,
  }
}

/** Serves a built app's directory and runs exerciseDatabase on it. */
export async function exerciseBuilt(page: Page, dir: string): Promise<void> {
  const server = await serve(dir)
  try {
    await exerciseDatabase(page, origin)
  } finally {
    await server.close()
  }
}

/**
 * In Chromium, at `url`: opens the database, writes, snapshots, writes again, reads at the
 * snapshot and at the head; reloads the page and reads both again (from OPFS and IndexedDB).
 */
export async function exerciseDatabase(page: Page, url: string): Promise<void> {
  const errors = collectErrors(page)
  await page.goto(url)
  await expect(page.locator('body')).toHaveText('loaded')
  const first = await page.evaluate(async () => {
    const plain = (v: unknown) => JSON.parse(JSON.stringify(v, (_k, x) => (x instanceof Set ? { set: [...x] } : x instanceof Uint8Array ? { bytes: [...x] } : x)))
    const db = await (window as any).app.open()
    await db.put('note:1', { title: 'draft' })
    const snap = await db.snapshot({ label: 'v1' })
    await db.put('note:1', { title: 'final', tags: new Set(['done']) })
    await db.put(['n', 2], new Uint8Array([1, 2, 3]))
    const result = { snap: snap.id as string, atSnap: plain(await db.get('note:1', { snapshot: snap.id })), head: plain(await db.get('note:1')) }
    await db.close()
    return result
  })
  expect(first.atSnap).toEqual({ title: 'draft' })
  expect(first.head).toEqual({ title: 'final', tags: { set: ['done'] } })
  await page.reload()
  await expect(page.locator('body')).toHaveText('loaded')
  const second = await page.evaluate(async (snap) => {
    const plain = (v: unknown) => JSON.parse(JSON.stringify(v, (_k, x) => (x instanceof Set ? { set: [...x] } : x instanceof Uint8Array ? { bytes: [...x] } : x)))
    const db = await (window as any).app.open()
    const result = {
      atSnap: plain(await db.get('note:1', { snapshot: snap })),
      head: plain(await db.get('note:1')),
      bytes: plain(await db.get(['n', 2])),
      snapshots: (await db.snapshots()).map((s: any) => [s.id, s.label]),
    }
    await db.close()
    return result
  }, first.snap)
  expect(second).toEqual({ atSnap: { title: 'draft' }, head: { title: 'final', tags: { set: ['done'] } }, bytes: { bytes: [1, 2, 3] }, snapshots: [[first.snap, 'v1']] })
  expect(errors).toEqual([])
}
