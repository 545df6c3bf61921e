// @cowdb/node from its tarball in a fresh Node project: the API (open, write, snapshot, read at the
// snapshot, reopen and read again), the dbctl command through the symlink npm installs, and
// through npx; and the packages' type declarations as an app's TypeScript compiler sees them.
import { lstatSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { PUBLISHED, makeApp, npmInstall, repo, sh, tarball, tools } from './apps'
import { expect, test } from '../../e2e/fixtures'

const pkg = (name: string) => JSON.stringify({ name, private: true, type: 'module' })

test('the Node API from the installed package: write, snapshot, read at it, reopen', () => {
  const app = makeApp('node', {
    'package.json': pkg('cowdb-node-app'),
    'main.js': `import { open } from '@cowdb/node'
const dir = new URL('./data', import.meta.url).pathname
const phase = process.argv[2]
const db = await open(dir)
if (phase === 'write') {
  await db.put(['user', 42], { name: 'Ada' })
  const snap = await db.snapshot({ label: 'v1' })
  await db.put(['user', 42], { name: 'Ada Lovelace' })
  console.log(JSON.stringify({ snap: snap.id, atSnap: await db.get(['user', 42], { snapshot: snap.id }), head: await db.get(['user', 42]) }))
} else {
  const [snap] = await db.snapshots()
  console.log(JSON.stringify({ snap: snap.id, atSnap: await db.get(['user', 42], { snapshot: snap.id }), head: await db.get(['user', 42]) }))
}
await db.close()
`,
  })
  try {
    expect(npmInstall(app, [tarball('core'), tarball('node')])).toEqual([])
    const first = JSON.parse(sh(process.execPath, ['main.js', 'write'], { cwd: app }).stdout)
    expect(first).toMatchObject({ atSnap: { name: 'Ada' }, head: { name: 'Ada Lovelace' } })
    const second = JSON.parse(sh(process.execPath, ['main.js', 'read'], { cwd: app }).stdout) // a new process: from the files
    expect(second).toEqual(first)
  } finally {
    rmSync(app, { recursive: true, force: true })
  }
})

test('dbctl through the symlink npm installs, and through npx', () => {
  const app = makeApp('cli', { 'package.json': pkg('cowdb-cli-app') })
  try {
    expect(npmInstall(app, [tarball('core'), tarball('node')])).toEqual([])
    const bin = join(app, 'node_modules/.bin/dbctl')
    expect(lstatSync(bin).isSymbolicLink()).toBe(true) // how npm installs a bin on Linux and macOS
    const help = sh(bin, ['--help'], { cwd: app })
    expect(help.stdout).toMatch(/^usage: dbctl <command> --db DIR/)
    const db = join(app, 'db')
    expect(JSON.parse(sh(bin, ['put', '--db', db, '--key', 'note:1', '--value', '{"title":"hi"}'], { cwd: app }).stdout)).toMatchObject({ generation: expect.any(Number) })
    expect(sh(bin, ['get', '--db', db, '--key', 'note:1'], { cwd: app }).stdout.trim()).toBe('{"title":"hi"}')
    // a missing key: exit 1 and a message on stderr (sh throws on the non-zero exit)
    expect(() => sh(bin, ['get', '--db', db, '--key', 'nope'], { cwd: app })).toThrow(/exited 1[\s\S]*dbctl: not found/)
    expect(sh('npx', ['--no-install', 'dbctl', 'get', '--db', db, '--key', 'note:1'], { cwd: app }).stdout.trim()).toBe('{"title":"hi"}')
  } finally {
    rmSync(app, { recursive: true, force: true })
  }
})

test('npx with the tarballs alone (no project): dbctl --help', () => {
  const dir = makeApp('npx', {})
  try {
    const r = sh('npx', ['--yes', '--prefer-offline', '--package', tarball('core'), '--package', tarball('node'), 'dbctl', '--help'], { cwd: dir })
    expect(r.stdout).toMatch(/^usage: dbctl <command> --db DIR/)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('npx dbctl at the repository root runs the workspace build (no registry lookup)', () => {
  const r = sh('npx', ['--no-install', 'dbctl', '--help'], { cwd: repo })
  expect(r.stdout).toMatch(/^usage: dbctl <command> --db DIR/)
})

test("an app's TypeScript sees the packages' types (NodeNext and bundler resolution)", () => {
  const browserish = PUBLISHED.filter((p) => p !== 'node')
  const app = makeApp('types', {
    'package.json': pkg('cowdb-types-app'),
    'node.ts': `import { open, type Database, ConflictError } from '@cowdb/node'
const db: Database = await open('./data')
const v: unknown = await db.get(['a', 1])
const commit: { generation: number } = await db.put('k', { v })
// @ts-expect-error a key cannot be an object
await db.put({ not: 'a key' }, 1)
export const names = [ConflictError.name, commit.generation]
`,
    'browser.ts': `import { openDB, type BrowserDatabase, type BrowserOpenOptions } from '@cowdb/browser'
const opts: BrowserOpenOptions = { retention: { keepLast: 10 } }
const db: BrowserDatabase = await openDB('app', opts)
const snap: { id: string } = await db.snapshot()
export const rows: [unknown, unknown][] = await db.scan({ gte: 'a', lt: 'b', snapshot: snap.id })
// @ts-expect-error a key cannot be an object
await db.put({ not: 'a key' }, 1)
`,
    // as a Node app is set up: Node's types (a Database is an EventTarget, Node's global)
    'tsconfig.node.json': JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', strict: true, noEmit: true, types: ['node'], lib: ['ES2022'] }, files: ['node.ts'] }),
    // as Vite's templates set it up: DOM types, and skipLibCheck (@cowdb/browser's declarations name
    // FileSystemSyncAccessHandle, which TypeScript has in its WebWorker library only)
    'tsconfig.bundler.json': JSON.stringify({ compilerOptions: { module: 'ESNext', moduleResolution: 'Bundler', target: 'ES2022', strict: true, noEmit: true, skipLibCheck: true, types: [], lib: ['ES2022', 'DOM', 'DOM.Iterable'] }, files: ['browser.ts'] }),
  })
  try {
    expect(npmInstall(app, [...[...browserish, 'node'].map(tarball), '@types/node@20'])).toEqual([])
    sh(process.execPath, [tools.tsc, '-p', 'tsconfig.node.json'], { cwd: app })
    sh(process.execPath, [tools.tsc, '-p', 'tsconfig.bundler.json'], { cwd: app })
  } finally {
    rmSync(app, { recursive: true, force: true })
  }
})
