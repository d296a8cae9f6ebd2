#!/usr/bin/env node
// The package's `router` binary: quiets the AWS SDK's Node version notice on supported Node versions,
// registers the TypeScript loader, then runs the CLI.
import { register } from 'tsx/esm/api';

register();
const { quietSdkNodeVersionWarning } = await import('../router/aws/sdkWarning.ts');
quietSdkNodeVersionWarning(process.env, process.versions.node);
const { runCli } = await import('../router/cli/main.ts');
process.exitCode = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
  cwd: process.cwd(),
});
