import { defineConfig } from 'vitest/config'
import { fileURLToPath } from 'node:url'

const src = (p: string) => fileURLToPath(new URL(`./packages/${p}/src/index.ts`, import.meta.url))
const sub = (p: string) => fileURLToPath(new URL(`./packages/${p}/src/`, import.meta.url)) + '$1.ts'

// Unit tests run against the TypeScript sources, so no build is needed first.
export default defineConfig({
  resolve: {
    // a package name maps to its index, a subpath (@cowdb/core/errors) to that source file
    alias: [
      { find: /^@cowdb\/sync\/server$/, replacement: fileURLToPath(new URL('./packages/sync/src/server/index.ts', import.meta.url)) },
      { find: /^@cowdb\/sync$/, replacement: src('sync') },
      { find: /^@cowdb\/core$/, replacement: src('core') },
      { find: /^@cowdb\/core\/(.*)$/, replacement: sub('core') },
      { find: /^@cowdb\/node$/, replacement: src('node') },
      { find: /^@cowdb\/node\/(.*)$/, replacement: sub('node') },
      { find: /^@cowdb\/browser$/, replacement: src('browser') },
      { find: /^@cowdb\/browser\/(.*)$/, replacement: sub('browser') },
    ],
  },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'packages/*/test/**/*.test.ts', 'ops/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
})
