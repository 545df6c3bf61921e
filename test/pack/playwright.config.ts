import { defineConfig } from '@playwright/test'

// The install-and-run tests (npm test's "pack" step): globalSetup packs every publishable package
// with `pnpm pack`; each spec installs the tarballs into an app in a temporary directory OUTSIDE
// the repository with npm, as a user would from the registry, builds it and drives it in Debian's
// Chromium (persistent profile, e2e/fixtures.ts). Apps are served on $E2E_PORT (default 5199).
export default defineConfig({
  testDir: '.',
  testMatch: '*.spec.ts',
  globalSetup: './setup.ts',
  workers: 1,
  fullyParallel: false,
  timeout: 300_000,
  reporter: [['list']],
})
