import { defineConfig } from 'vitest/config';

/**
 * Three projects: unit tests need no network; integration tests run against the embedded local stack;
 * browser tests drive the console in Debian's chromium against that stack.
 */
export default defineConfig({
  test: {
    // The SDK's Node 20 support notice, once per worker, is noise in test output (the CLI's own handling
    // of it is tested in a child process with the variable removed).
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
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
      {
        test: {
          name: 'browser',
          include: ['test/browser/**/*.test.ts'],
          environment: 'node',
          testTimeout: 120_000,
          hookTimeout: 120_000,
          execArgv: ['--openssl-legacy-provider'],
        },
      },
    ],
  },
});
