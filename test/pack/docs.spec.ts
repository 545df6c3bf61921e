// The API reference (typedoc.json -> docs/api/, `npm run docs`) builds from the doc comments with
// every typedoc warning an error: a broken {@link}, or a type that an exported signature names but
// the package does not export. And each function and method says what it costs: required for the
// packages listed in COST_REQUIRED, reported for the rest.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { repo, sh } from './apps'
import { expect, test } from '../../e2e/fixtures'

const COST_REQUIRED = ['@cowdb/level', '@cowdb/react']

type Part = { text: string }
type Comment = { summary?: Part[]; blockTags?: { content: Part[] }[] }
type Reflection = { name: string; kind: number; comment?: Comment; signatures?: { comment?: Comment }[]; children?: Reflection[] }
const FUNCTION = 64
const METHOD = 2048

const text = (c?: Comment) => [...(c?.summary ?? []), ...(c?.blockTags ?? []).flatMap((t) => t.content)].map((p) => p.text).join('')

/** Every function and method of each package, and whether its doc comment has a `Cost:`. */
function costs(project: Reflection): Map<string, { name: string; cost: boolean }[]> {
  const out = new Map<string, { name: string; cost: boolean }[]>()
  for (const pkg of project.children ?? []) {
    const list: { name: string; cost: boolean }[] = []
    const walk = (r: Reflection, path: string[]) => {
      if (r.kind === FUNCTION || r.kind === METHOD) list.push({ name: path.join('.'), cost: /Cost:/.test(text(r.comment) + (r.signatures ?? []).map((s) => text(s.comment)).join(' ')) })
      for (const c of r.children ?? []) walk(c, [...path, c.name])
    }
    walk(pkg, [])
    out.set(pkg.name, list)
  }
  return out
}

test('the API reference builds with warnings as errors, and documents each cost', () => {
  const out = mkdtempSync(join(tmpdir(), 'cowdb-api-'))
  try {
    // typedoc.json sets treatWarningsAsErrors: a warning fails the command (sh throws with it)
    sh('npx', ['typedoc', '--out', join(out, 'md'), '--json', join(out, 'api.json')], { cwd: repo })
    const byPackage = costs(JSON.parse(readFileSync(join(out, 'api.json'), 'utf8')) as Reflection)
    expect([...byPackage.keys()]).toEqual(expect.arrayContaining(['@cowdb/core', '@cowdb/browser', '@cowdb/node']))
    for (const [pkg, list] of byPackage) {
      const missing = list.filter((m) => !m.cost).map((m) => m.name)
      console.log(`${pkg}: ${list.length - missing.length} of ${list.length} functions and methods state their cost${missing.length ? `; not yet: ${missing.join(', ')}` : ''}`)
      if (COST_REQUIRED.includes(pkg)) expect(missing, `${pkg}: doc comments without "Cost:"`).toEqual([])
    }
  } finally {
    rmSync(out, { recursive: true, force: true })
  }
})
