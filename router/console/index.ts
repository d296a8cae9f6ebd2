/** The console folder's surface: the CLI command, the local stack and the tests start it from here. */
export { ConsoleApi } from './ConsoleApi.ts';
export { type RunningConsole, startConsole } from './ConsoleServer.ts';
export { consoleDepsFromEnv } from './fromEnv.ts';
export { StreamActivity } from './streamView.ts';
