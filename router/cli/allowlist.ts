/**
 * The resource allowlist a CLI command checks graphs against, and where each part of it came from, so
 * that an "is not in the resource allowlist" problem can say which list refused the resource and how to
 * widen it. The base list is the deployment's (`ROUTER_RESOURCE_ALLOWLIST`) or, when that is unset, the
 * router's default; every `--allow PATTERN` adds to it; `*` allows every resource.
 */
import { DEFAULT_ALLOWLIST, routerSettingsFromEnv } from '../config.ts';

/** A list of patterns with the sentence that says where it came from. */
export interface CliAllowlist {
  readonly patterns: readonly string[];
  /** E.g. `ROUTER_RESOURCE_ALLOWLIST (2 patterns) plus --allow arn:aws:states:::aws-sdk:s3:*`. */
  readonly source: string;
}

/** Matches the validator's and the invoker's wording of a refused resource. */
const REFUSED = /not in (the resource|this deployment's) allowlist/;

/**
 * The base allowlist of the environment plus the `--allow` patterns given on the command line.
 *
 * @example
 * cliAllowlist({}, ['arn:aws:states:::aws-sdk:s3:getObject']).source
 * // "the router's default allowlist (ROUTER_RESOURCE_ALLOWLIST is not set: ...) plus --allow arn:aws:states:::aws-sdk:s3:getObject"
 */
export function cliAllowlist(env: NodeJS.ProcessEnv, allow: readonly string[] = []): CliAllowlist {
  const fromEnv = env.ROUTER_RESOURCE_ALLOWLIST !== undefined && env.ROUTER_RESOURCE_ALLOWLIST.trim() !== '';
  const base = routerSettingsFromEnv(env).allowlist;
  const added = allow.map((a) => a.trim()).filter((a) => a !== '');
  const baseText = fromEnv
    ? `ROUTER_RESOURCE_ALLOWLIST (${base.join(', ')})`
    : `the router's default allowlist, as ROUTER_RESOURCE_ALLOWLIST is not set (${DEFAULT_ALLOWLIST.join(', ')})`;
  return {
    patterns: [...base, ...added.filter((a) => !base.includes(a))],
    source: added.length === 0 ? baseText : `${baseText} plus --allow ${added.join(', --allow ')}`,
  };
}

/** True when a problem or failure message is an allowlist refusal. */
export function isAllowlistRefusal(message: string): boolean {
  return REFUSED.test(message);
}

/** The note printed under allowlist refusals: which list refused, and how to widen it. */
export function allowlistNote(list: CliAllowlist, canAllow: boolean): string {
  const widen = canAllow
    ? "add patterns with --allow PATTERN (repeatable; --allow '*' allows every resource)"
    : "set ROUTER_RESOURCE_ALLOWLIST to the deployment's allowlist (the stack's EngineAuthorEnv output) or widen it";
  return `the allowlist checked is ${list.source}; ${widen}`;
}
