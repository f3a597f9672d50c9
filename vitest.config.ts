import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The CLI under test is the compiled one: build dist/ first when a source is newer.
    globalSetup: ['test/support/build-dist.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Integration tests start real nats-servers; keep the 2-core machines from thrashing.
    maxWorkers: 2,
    reporters: ['default'],
    env: { TROUPE_LOG_LEVEL: process.env.TROUPE_LOG_LEVEL ?? 'silent' },
  },
});
