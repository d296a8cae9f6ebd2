/**
 * Walks every IAM policy document of a synthesised template (AWS::IAM::Policy, ManagedPolicy and a
 * role's inline policies) and reports statements broader than least privilege allows, so each stack
 * test can assert on all of them at once instead of on the ones it remembers.
 */

/** One over-broad statement: where it is and why it is rejected. */
export interface IamFinding {
  readonly resource: string;
  readonly reason: string;
}

function asList(value: unknown): unknown[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function documentsOf(resource: Record<string, unknown>): unknown[] {
  const properties = resource.Properties;
  if (!isObject(properties)) return [];
  if (resource.Type === 'AWS::IAM::Policy' || resource.Type === 'AWS::IAM::ManagedPolicy') {
    return [properties.PolicyDocument ?? null];
  }
  if (resource.Type === 'AWS::IAM::Role') {
    return asList(properties.Policies).map((policy) =>
      isObject(policy) ? (policy.PolicyDocument ?? null) : null,
    );
  }
  return [];
}

/**
 * Statements that allow `*`, a whole service (`dynamodb:*`), or `Resource: '*'` for an action that is
 * not in `unscopedActions` (the actions IAM cannot scope to a resource).
 */
export function overBroadStatements(template: unknown, unscopedActions: ReadonlySet<string>): IamFinding[] {
  const findings: IamFinding[] = [];
  const resources = isObject(template) && isObject(template.Resources) ? template.Resources : {};
  for (const [logicalId, resource] of Object.entries(resources)) {
    if (!isObject(resource)) continue;
    for (const document of documentsOf(resource)) {
      if (!isObject(document)) continue;
      for (const statement of asList(document.Statement)) {
        if (!isObject(statement) || statement.Effect !== 'Allow') continue;
        const actions = asList(statement.Action).filter(
          (action): action is string => typeof action === 'string',
        );
        for (const action of actions) {
          if (action === '*') findings.push({ resource: logicalId, reason: "Action '*'" });
          else if (/^[a-z0-9-]+:\*$/i.test(action)) {
            findings.push({ resource: logicalId, reason: `service wildcard ${action}` });
          }
        }
        if (asList(statement.Resource).includes('*')) {
          for (const action of actions.filter((candidate) => !unscopedActions.has(candidate))) {
            findings.push({ resource: logicalId, reason: `Resource '*' for ${action}, which can be scoped` });
          }
        }
      }
    }
  }
  return findings;
}
