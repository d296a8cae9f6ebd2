/**
 * The AWS SDK v3 prints a nine-line NodeVersionSupportWarning on every run under Node 20 (its releases
 * after early January 2027 need Node 22). This package supports Node >= 20.19 with a locked SDK, so for
 * the CLI the notice is noise on every command. The SDK's own documented switch,
 * `AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true`, silences that one warning and nothing else;
 * it is set only on supported Node versions and only when the user has not set it either way.
 */

/** The SDK's documented variable that turns off its Node version support warning. */
export const SDK_NODE_WARNING_SWITCH = 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED';

/** True for the Node versions this package supports (`engines.node`: >= 20.19). */
export function isSupportedNode(version: string): boolean {
  const [major = 0, minor = 0] = version.replace(/^v/, '').split('.').map(Number);
  return major > 20 || (major === 20 && minor >= 19);
}

/**
 * Sets the SDK's switch in `env` (the process environment, read by the SDK when a client is built)
 * when Node is supported and the variable is unset; returns whether it did.
 *
 * @example
 * quietSdkNodeVersionWarning(process.env, process.versions.node); // before any client is built
 */
export function quietSdkNodeVersionWarning(env: NodeJS.ProcessEnv, nodeVersion: string): boolean {
  if (env[SDK_NODE_WARNING_SWITCH] !== undefined || !isSupportedNode(nodeVersion)) return false;
  env[SDK_NODE_WARNING_SWITCH] = 'true';
  return true;
}
