import { defineConfig } from 'vitest/config';

/** Two projects: unit tests need no network; integration tests run against the embedded local stack. */
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          environment: 'node',
          testTimeout: 60_000,
          hookTimeout: 60_000,
          execArgv: ['--openssl-legacy-provider'],
        },
      },
    ],
  },
});
