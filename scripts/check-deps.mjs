// The import graph's two rules, checked in `npm test`: no import cycle anywhere in the packages'
// sources, and nothing imports core's database.ts (the facade) but core's index.ts and tests.
// Prints one summary line; exits non-zero on a violation.
import madge from 'madge'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const sources = ['packages/core/src', 'packages/browser/src', 'packages/node/src']

const graph = await madge(sources.map((s) => root + s), {
  fileExtensions: ['ts'],
  tsConfig: root + 'tsconfig.base.json',
  excludeRegExp: [/\.test\.ts$/, /\.d\.ts$/],
})
const cycles = graph.circular()
const facade = 'core/src/database.ts'
const badImports = Object.entries(graph.obj())
  .filter(([file, deps]) => deps.some((d) => d.endsWith(facade)) && !file.endsWith('core/src/index.ts'))
  .map(([file]) => file)

for (const c of cycles) console.error(`import cycle: ${c.join(' -> ')}`)
for (const f of badImports) console.error(`${f} imports ${facade}; only core/src/index.ts may (import from '@cowdb/core')`)
const modules = Object.keys(graph.obj()).length
console.log(`deps: ${modules} modules, ${cycles.length} cycles, ${badImports.length} imports of database.ts outside index.ts`)
process.exit(cycles.length || badImports.length ? 1 : 0)
