// What `pnpm pack` puts in each tarball, read the way npm will: dependencies with real versions
// (pnpm turns workspace:* into the version), every file `exports`, `types` and `bin` name present,
// README and LICENSE, no tests, and `npm publish --dry-run` without a warning.
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PUBLISHED, sh, tarball } from './apps'
import { expect, test } from '../../e2e/fixtures'

type Manifest = {
  name: string
  version: string
  type?: string
  types?: string
  main?: string
  exports: Record<string, string | Record<string, string>>
  bin?: Record<string, string>
  files?: string[]
  dependencies?: Record<string, string>
  peerDependencies?: Record<string, string>
}

/** Every path a manifest points at. */
function pointers(m: Manifest): string[] {
  const out = [m.main, m.types, ...Object.values(m.bin ?? {})]
  for (const target of Object.values(m.exports)) out.push(...(typeof target === 'string' ? [target] : Object.values(target)))
  return out.filter((p): p is string => !!p)
}

function walk(dir: string, prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`]))
}

for (const name of PUBLISHED) {
  test(`@cowdb/${name}: the tarball is complete and publishes cleanly`, () => {
    const dir = mkdtempSync(join(tmpdir(), `cowdb-tarball-${name}-`))
    try {
      sh('tar', ['-xzf', tarball(name), '-C', dir])
      const pkg = join(dir, 'package')
      const m = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8')) as Manifest
      expect(m.name).toBe(`@cowdb/${name}`)
      expect(m.version).toMatch(/^0\.\d+\.\d+$/) // semver 0.x: minor versions may break, see CHANGELOG.md
      expect(m.type).toBe('module')
      const ranges = { ...m.dependencies, ...m.peerDependencies }
      for (const [dep, range] of Object.entries(ranges)) {
        expect(range, `${dep}'s range`).not.toMatch(/workspace:|link:|file:/)
        if (dep.startsWith('@cowdb/')) expect(range, `${dep} is pinned to the same release`).toBe(m.version)
      }
      for (const p of pointers(m)) expect(existsSync(join(pkg, p)), `${p} is in the tarball`).toBe(true)
      expect(m.exports['.']).toMatchObject({ types: expect.stringMatching(/\.d\.ts$/) })
      const files = walk(pkg)
      expect(files).toContain('README.md')
      expect(files).toContain('LICENSE')
      expect(files.filter((f) => /\.test\.|(^|\/)test\//.test(f))).toEqual([])

      const r = sh('npm', ['publish', '--dry-run', tarball(name)], { cwd: dir })
      // the one warning a dry run prints without npm credentials, which CI does not have
      const warnings = `${r.stdout}\n${r.stderr}`.split('\n').filter((l) => /warn/i.test(l) && !/requires you to be logged in/.test(l))
      expect(warnings).toEqual([])
      expect(r.stdout).toContain(`+ @cowdb/${name}@${m.version}`)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
}
