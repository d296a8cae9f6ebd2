/**
 * Which Task resources a deployment may call. A graph is data uploaded by engine authors; the allowlist
 * keeps it from invoking arbitrary functions or SDK actions with the router's role, and is checked both at
 * publish and at load so a graph that slipped into the bucket another way is still refused.
 */

/**
 * Glob-like resource patterns: `*` matches any run of characters (colons included, so a function pattern
 * also covers its qualified forms), `?` one character; everything else is literal.
 *
 * @example
 * const allow: ResourceAllowlist = ['arn:aws:lambda:*:*:function:seed004-*', 'arn:aws:states:::lambda:invoke'];
 */
export type ResourceAllowlist = readonly string[];

const compiled = new Map<string, RegExp>();

function patternToRegExp(pattern: string): RegExp {
  let regex = compiled.get(pattern);
  if (regex === undefined) {
    const body = pattern
      .split('')
      .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[\\^$.|+()[\]{}]/g, '\\$&')))
      .join('');
    regex = new RegExp(`^${body}$`, 's');
    if (compiled.size > 1000) compiled.clear();
    compiled.set(pattern, regex);
  }
  return regex;
}

const REGIONAL_INTEGRATION = /^arn:(aws[a-z-]*):states:[a-z0-9-]*:\d*:(?!activity:)(.+)$/;

/**
 * Whether `resource` matches at least one pattern of the allowlist. An integration ARN that names its
 * region and account (`arn:aws:states:us-east-1:123456789012:sns:publish`) also matches the patterns
 * written without them (`arn:aws:states:::sns:publish`), since both call the same integration.
 */
export function isResourceAllowed(resource: string, allowlist: ResourceAllowlist): boolean {
  const matches = (text: string): boolean => allowlist.some((pattern) => patternToRegExp(pattern).test(text));
  if (matches(resource)) return true;
  const regionless = REGIONAL_INTEGRATION.exec(resource);
  return regionless !== null && matches(`arn:${regionless[1]}:states:::${regionless[2]}`);
}

/**
 * Whether a Lambda integration's `FunctionName` may be called. A full ARN is matched as a resource; a
 * bare name (`seed004-step`, `seed004-step:live`) or partial ARN (`123456789012:function:seed004-step`)
 * carries no region or account yet, so it is matched against the function part of every function pattern;
 * the pattern `*` allows every resource, bare function names included.
 */
export function isFunctionAllowed(functionName: string, allowlist: ResourceAllowlist): boolean {
  if (functionName.startsWith('arn:')) return isResourceAllowed(functionName, allowlist);
  const marker = ':function:';
  const at = functionName.indexOf(marker);
  const name = at >= 0 ? functionName.slice(at + marker.length) : functionName;
  return allowlist.some((pattern) => {
    if (pattern === '*') return true;
    const p = pattern.indexOf(marker);
    return p >= 0 && patternToRegExp(pattern.slice(p + marker.length)).test(name);
  });
}
