/**
 * The parts of a synthesized template the local stack reads. Intrinsic resolution lives in
 * `lib/definition.ts`, next to the constructs that emit the template; this adds what only the
 * local stand-ins need.
 */

export {
  type CfnResource,
  type CfnTemplate,
  DEFAULT_PSEUDO_PARAMETERS,
  ENTRY_METADATA_KEY,
  type RefResolver,
  resolveDefinition,
  resolveIntrinsics,
  resourcesOfType,
} from '../lib/definition.ts';

export const LOCAL_REGION = 'us-east-1';
export const LOCAL_ACCOUNT_ID = '000000000000';

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function getAttTarget(value: unknown): string | undefined {
  if (typeof value === 'string') return value.split('.')[0];
  if (Array.isArray(value) && typeof value[0] === 'string') return value[0];
  return undefined;
}

/** Logical ids referenced (by Ref or Fn::GetAtt) anywhere inside `value`, pseudo parameters excluded. */
export function referencedLogicalIds(value: unknown, found: Set<string> = new Set()): Set<string> {
  if (Array.isArray(value)) {
    for (const item of value) referencedLogicalIds(item, found);
  } else if (isRecord(value)) {
    if (typeof value.Ref === 'string' && !value.Ref.startsWith('AWS::')) found.add(value.Ref);
    const target = getAttTarget(value['Fn::GetAtt']);
    if (target) found.add(target);
    for (const inner of Object.values(value)) referencedLogicalIds(inner, found);
  }
  return found;
}

/** The single logical id a `{ Ref }` or `{ Fn::GetAtt }` names, if `value` is one. */
export function referenceOf(value: unknown): { logicalId: string; attribute?: string } | undefined {
  if (!isRecord(value)) return undefined;
  if (typeof value.Ref === 'string') return { logicalId: value.Ref };
  const getAtt = value['Fn::GetAtt'];
  if (Array.isArray(getAtt) && typeof getAtt[0] === 'string') {
    return { logicalId: getAtt[0], attribute: typeof getAtt[1] === 'string' ? getAtt[1] : undefined };
  }
  if (typeof getAtt === 'string') {
    const [logicalId, attribute] = getAtt.split(/\.(.*)/s);
    return logicalId ? { logicalId, attribute } : undefined;
  }
  return undefined;
}
