import { defineConfig } from '@playwright/test'

const port = Number(process.env.E2E_PORT ?? 5199)

// Browser tests run in Debian's Chromium (see fixtures.ts), against the Vite dev server that
// serves the playground and the test pages in demo/test/.
export default defineConfig({
  testDir: '.',
  testMatch: '*.spec.ts',
  workers: 1,
  fullyParallel: false,
  timeout: 120_000,
  reporter: [['list']],
  use: { baseURL: `http://localhost:${port}` },
  webServer: {
    command: `npx vite --port ${port} --strictPort`,
    cwd: '..',
    url: `http://localhost:${port}/`,
    reuseExistingServer: !process.env.CI,
    timeout: 120_000,
    stdout: 'ignore',
  },
})
