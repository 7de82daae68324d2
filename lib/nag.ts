/**
 * cdk-nag v3 acknowledgements. v3 dropped `NagSuppressions`: a finding is acknowledged through
 * CDK's `Validations.of(construct).acknowledge()` on the resource or one of its ancestors, and a
 * rule that reports several findings (IAM4, IAM5) needs each finding acknowledged by its exact id,
 * `AwsSolutions-IAM5[Resource::<Table.Arn>/index/*]`. These helpers build those ids from the
 * same tokens the grants used, so an acknowledgement follows a renamed construct.
 */
import * as cdk from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

export function acknowledge(scope: IConstruct, rule: string, reason: string): void {
  cdk.Validations.of(scope).acknowledge({ id: rule, reason });
}

/** Acknowledges `AwsSolutions-IAM5` for wildcard resources (tokens allowed) and actions. */
export function acknowledgeWildcards(
  scope: IConstruct,
  wildcards: { resources?: string[]; actions?: string[] },
  reason: string,
): void {
  const stack = cdk.Stack.of(scope);
  for (const resource of wildcards.resources ?? []) {
    acknowledge(scope, `AwsSolutions-IAM5[Resource::${flatten(stack.resolve(resource))}]`, reason);
  }
  for (const action of wildcards.actions ?? []) {
    acknowledge(scope, `AwsSolutions-IAM5[Action::${action}]`, reason);
  }
}

/** Acknowledges `AwsSolutions-IAM4` for an AWS managed policy, by name. */
export function acknowledgeManagedPolicy(scope: IConstruct, policyName: string, reason: string): void {
  acknowledge(scope, `AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/${policyName}]`, reason);
}

/** The flat form cdk-nag gives a resolved CloudFormation value in a finding id. */
function flatten(node: unknown): string {
  if (node === undefined) return '';
  if (typeof node === 'string') return node.replace(/\$\{/g, '<').replace(/}/g, '>');
  if (typeof node === 'object' && node !== null) {
    const fn = node as Record<string, unknown>;
    if (Array.isArray(fn['Fn::Join'])) {
      const [delimiter, items] = fn['Fn::Join'] as [string, unknown[]];
      return items.map(flatten).join(delimiter);
    }
    if ('Fn::Sub' in fn) return flatten(fn['Fn::Sub']);
    if (Array.isArray(fn['Fn::GetAtt'])) {
      const [resource, attribute] = fn['Fn::GetAtt'] as [unknown, unknown];
      return `<${flatten(resource)}.${flatten(attribute)}>`;
    }
    if ('Fn::ImportValue' in fn) return flatten(fn['Fn::ImportValue']);
    if ('Ref' in fn) return `<${flatten(fn.Ref)}>`;
  }
  return JSON.stringify(node);
}
