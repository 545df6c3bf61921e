import { defineConfig } from 'vitest/config'
import { fileURLToPath } from 'node:url'

const src = (p: string) => fileURLToPath(new URL(`./packages/${p}/src/index.ts`, import.meta.url))

// Unit tests run against the TypeScript sources, so no build is needed first.
export default defineConfig({
  resolve: {
    alias: {
      '@cowdb/sync/server': fileURLToPath(new URL('./packages/sync/src/server/index.ts', import.meta.url)),
      '@cowdb/sync': src('sync'),
      '@cowdb/core': src('core'),
      '@cowdb/node': src('node'),
      '@cowdb/browser': src('browser'),
    },
  },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'packages/*/test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
})
