/**
 * Function names as the Lambda integration gives them (`orders`, `orders:live`, a full ARN), turned into
 * the ARN the allowlist is checked against. The resource forms themselves are read by
 * `parseTaskResource` in the graph language.
 */

/**
 * The ARN a function name stands for, so a name given in Parameters is checked against the same
 * allowlist patterns as a resource ARN.
 */
export function functionArn(nameOrArn: string, region: string, accountId: string): string {
  if (nameOrArn.startsWith('arn:')) return nameOrArn;
  const [name, qualifier] = nameOrArn.split(':');
  return `arn:aws:lambda:${region}:${accountId}:function:${name}${qualifier === undefined ? '' : `:${qualifier}`}`;
}
