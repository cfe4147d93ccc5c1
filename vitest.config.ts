import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/setup/build.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Lab tests start anvil processes; two workers match the 2-core CI machine.
    pool: 'forks',
    maxWorkers: 2,
  },
})
