// @cowdb/browser installed from its tarball into a fresh app, built the way each bundler's docs
// say, then run in Chromium: Vite (production build and dev server) and webpack 5 with no cowdb
// configuration at all (they follow `new Worker(new URL('./worker.js', import.meta.url))` in
// the client and emit the worker), esbuild with the documented setup (copy the worker file, pass
// its URL as `worker`). These are the steps docs/guide.md gives a user.
import { cpSync, existsSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { browserApp, exerciseBuilt, exerciseDatabase, makeApp, npmInstall, origin, sh, startServer, tarball, tools, writeFiles } from './apps'
import { expect, test } from '../../e2e/fixtures'

const html = (script: string) => `<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>cowdb app</title></head><body>${script}</body></html>\n`

/** A new app with @cowdb/browser installed from the tarballs; npm must not warn. */
function installedApp(name: string, files: Record<string, string>): string {
  const dir = makeApp(name, { 'package.json': JSON.stringify({ name: `cowdb-${name}-app`, private: true, type: 'module' }), ...files })
  expect(npmInstall(dir, [tarball('core'), tarball('browser')])).toEqual([])
  return dir
}

test('Vite: zero-config production build emits the worker; the app works from it', async ({ page }) => {
  const app = installedApp('vite', { ...browserApp(), 'index.html': html('<script type="module" src="/src/main.js"></script>') })
  try {
    sh(process.execPath, [tools.vite, 'build'], { cwd: app })
    const assets = readdirSync(join(app, 'dist/assets'))
    const workers = assets.filter((f) => /^worker-.*\.js$/.test(f))
    // the worker, bundled by Vite as its own file (a second `new URL('./worker.js', import.meta.url)`
    // in the client, for error messages, makes Vite emit the file once more, as a plain asset)
    expect(workers.length).toBeGreaterThanOrEqual(1)
    await exerciseBuilt(page, join(app, 'dist'))
  } finally {
    rmSync(app, { recursive: true, force: true })
  }
})

test('Vite: zero-config dev server (dependency pre-bundling included)', async ({ page }) => {
  const app = installedApp('vite-dev', { ...browserApp(), 'index.html': html('<script type="module" src="/src/main.js"></script>') })
  const server = await startServer(process.execPath, [tools.vite, '--port', String(new URL(origin).port), '--strictPort'], app)
  try {
    await exerciseDatabase(page, origin)
  } catch (e) {
    throw new Error(`${(e as Error).message}\nvite said:\n${server.output()}`)
  } finally {
    await server.stop()
    rmSync(app, { recursive: true, force: true })
  }
})

test('webpack 5: zero-config production build emits the worker; the app works from it', async ({ page }) => {
  // webpack's defaults: entry ./src/index.js, output dist/main.js, as `npx webpack` uses them in the
  // app's directory (through the API, output.path must be given: its default is the process's cwd)
  const app = installedApp('webpack', { 'src/index.js': browserApp()['src/main.js']!, 'dist/index.html': html('<script src="main.js"></script>') })
  try {
    const { default: webpack } = await import('webpack')
    const stats = await new Promise<import('webpack').Stats>((resolve, reject) =>
      webpack({ context: app, mode: 'production', output: { path: join(app, 'dist') } }, (err, s) => (err || !s ? reject(err) : resolve(s))),
    )
    expect(stats.hasErrors() ? stats.toString('errors-only') : '').toBe('')
    expect(stats.hasWarnings() ? stats.toString('errors-warnings') : '').toBe('')
    const emitted = readdirSync(join(app, 'dist')).filter((f) => f.endsWith('.js'))
    expect(emitted.length).toBeGreaterThanOrEqual(2) // main.js and the worker chunk (and the same file as an asset, see above)
    await exerciseBuilt(page, join(app, 'dist'))
  } finally {
    rmSync(app, { recursive: true, force: true })
  }
})

test('esbuild: bundle, copy the worker file, pass its URL as `worker`', async ({ page }) => {
  const app = installedApp('esbuild', {
    ...browserApp(`{ worker: new URL('./cowdb-worker.js', import.meta.url) }`),
    'dist/index.html': html('<script type="module" src="./main.js"></script>'),
  })
  try {
    // the documented commands: bundle as ESM, then copy the worker beside the bundle
    sh(tools.esbuild, ['src/main.js', '--bundle', '--format=esm', '--minify', '--outdir=dist'], { cwd: app })
    const worker = createRequire(join(app, 'package.json')).resolve('@cowdb/browser/worker')
    expect(worker).toBe(join(app, 'node_modules/@cowdb/browser/dist/worker.js'))
    cpSync(worker, join(app, 'dist/cowdb-worker.js'))
    await exerciseBuilt(page, join(app, 'dist'))
  } finally {
    rmSync(app, { recursive: true, force: true })
  }
})

test('the shipped worker is one self-contained ES module beside the client', async () => {
  const app = installedApp('files', {})
  try {
    const dist = join(app, 'node_modules/@cowdb/browser/dist')
    const worker = readFileSync(join(dist, 'worker.js'), 'utf8')
    expect(worker).not.toMatch(/^\s*import\b|\bimport\s*\(|^\s*export\b.*\bfrom\b/m) // nothing to resolve
    expect(existsSync(join(dist, 'client.js'))).toBe(true)
    // the form Vite and webpack follow, in the compiled client, relative to the client itself
    expect(readFileSync(join(dist, 'client.js'), 'utf8')).toMatch(/new Worker\(new URL\(['"]\.\/worker\.js['"], import\.meta\.url\)/)
  } finally {
    rmSync(app, { recursive: true, force: true })
  }
})
