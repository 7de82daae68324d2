/**
 * Reading the synthesized template outside CloudFormation: the local runtime executes the very
 * state machine definition CDK synthesizes, and runs each function from the source file its
 * metadata names. CloudFormation intrinsics (Ref, Fn::GetAtt, Fn::Join, Fn::Sub, ...) are resolved
 * with a caller-supplied resolver that knows the local stand-in of each resource.
 */
import type { HANDLER_ENTRIES } from '#contract/pipeline.ts';

export type HandlerRole = keyof typeof HANDLER_ENTRIES;

/** Metadata on every AWS::Lambda::Function: the handler source file it runs, and its role. */
export const ENTRY_METADATA_KEY = 'quizgen:entry';
export const ROLE_METADATA_KEY = 'quizgen:role';

export interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
  Metadata?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface CfnTemplate {
  Resources: Record<string, CfnResource>;
  Outputs?: Record<string, { Value: unknown; Description?: string }>;
  [key: string]: unknown;
}

/**
 * Resolves `{ Ref: logicalId }` (attribute undefined) and `{ "Fn::GetAtt": [logicalId, attribute] }`
 * to a string, e.g. a Lambda function's `Arn` or a queue's `Ref` (its URL).
 */
export type RefResolver = (logicalId: string, attribute?: string) => string;

export interface ResolveOptions {
  /** Values for `AWS::Region` and friends; they never reach the RefResolver. */
  pseudoParameters?: Record<string, string>;
}

export const DEFAULT_PSEUDO_PARAMETERS: Readonly<Record<string, string>> = {
  'AWS::Partition': 'aws',
  'AWS::Region': 'us-east-1',
  'AWS::AccountId': '000000000000',
  'AWS::URLSuffix': 'amazonaws.com',
  'AWS::StackName': 'QuizGen',
  'AWS::StackId': 'arn:aws:cloudformation:us-east-1:000000000000:stack/QuizGen/local',
};

export interface AslState {
  Type: string;
  [key: string]: unknown;
}

export interface AslDefinition {
  StartAt: string;
  States: Record<string, AslState>;
  Comment?: string;
  [key: string]: unknown;
}

export class TemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateError';
  }
}

/** Resolves every CloudFormation intrinsic in a value (deeply), leaving other values as they are. */
export function resolveIntrinsics(
  value: unknown,
  resolveRef: RefResolver,
  options: ResolveOptions = {},
): unknown {
  const pseudo = { ...DEFAULT_PSEUDO_PARAMETERS, ...options.pseudoParameters };
  const ref = (logicalId: string, attribute?: string): string => {
    if (attribute === undefined && logicalId in pseudo) return pseudo[logicalId] as string;
    return resolveRef(logicalId, attribute);
  };

  const visit = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(visit);
    if (node === null || typeof node !== 'object') return node;
    const entries = Object.entries(node);
    const [only] = entries;
    if (entries.length === 1 && only !== undefined && (only[0] === 'Ref' || only[0].startsWith('Fn::'))) {
      return intrinsic(only[0], only[1]);
    }
    return Object.fromEntries(entries.map(([k, v]) => [k, visit(v)]));
  };

  const str = (node: unknown, where: string): string => {
    const resolved = visit(node);
    if (typeof resolved !== 'string' && typeof resolved !== 'number') {
      throw new TemplateError(`${where} expects a string, got ${JSON.stringify(resolved)}`);
    }
    return String(resolved);
  };

  const intrinsic = (name: string, arg: unknown): unknown => {
    switch (name) {
      case 'Ref':
        return ref(str(arg, 'Ref'));
      case 'Fn::GetAtt': {
        const [logicalId, attribute] = Array.isArray(arg) ? arg : String(arg).split(/\.(.*)/s);
        return ref(str(logicalId, 'Fn::GetAtt'), str(attribute, 'Fn::GetAtt'));
      }
      case 'Fn::Join': {
        const [delimiter, items] = arg as [string, unknown];
        const list = visit(items);
        if (!Array.isArray(list)) throw new TemplateError('Fn::Join expects a list');
        return list.map((item) => str(item, 'Fn::Join')).join(delimiter);
      }
      case 'Fn::Sub': {
        const [text, vars] = Array.isArray(arg) ? arg : [arg, {}];
        const bound = visit(vars) as Record<string, unknown>;
        return str(text, 'Fn::Sub').replace(/\$\{([^}]+)\}/g, (_, expr: string) => {
          if (expr.startsWith('!')) return `\${${expr.slice(1)}}`;
          if (expr in bound) return str(bound[expr], 'Fn::Sub');
          const dot = expr.indexOf('.');
          return dot === -1 ? ref(expr) : ref(expr.slice(0, dot), expr.slice(dot + 1));
        });
      }
      case 'Fn::Select': {
        const [index, items] = arg as [unknown, unknown];
        const list = visit(items);
        const i = Number(visit(index));
        if (!Array.isArray(list) || !Number.isInteger(i) || i < 0 || i >= list.length) {
          throw new TemplateError(`Fn::Select index ${i} out of range`);
        }
        return list[i];
      }
      case 'Fn::Split': {
        const [delimiter, source] = arg as [string, unknown];
        return str(source, 'Fn::Split').split(delimiter);
      }
      default:
        throw new TemplateError(`Unsupported intrinsic function ${name}`);
    }
  };

  return visit(value);
}

/** Resources of one CloudFormation type, as [logicalId, resource] pairs in template order. */
export function resourcesOfType(template: CfnTemplate, type: string): [string, CfnResource][] {
  return Object.entries(template.Resources).filter(([, r]) => r.Type === type);
}

/**
 * The state machine definition (ASL) as CloudFormation would deploy it, with every Ref and
 * Fn::GetAtt replaced by the resolver's answer. Lambda task states name their function by ARN
 * (`Fn::GetAtt [<function logical id>, Arn]`), the SQS task its queue by URL (`Ref`).
 */
export function resolveDefinition(
  template: CfnTemplate,
  resolveRef: RefResolver,
  options: ResolveOptions & { stateMachineLogicalId?: string } = {},
): AslDefinition {
  const machines = resourcesOfType(template, 'AWS::StepFunctions::StateMachine');
  const match = options.stateMachineLogicalId
    ? machines.find(([id]) => id === options.stateMachineLogicalId)
    : machines.length === 1
      ? machines[0]
      : undefined;
  if (!match) {
    throw new TemplateError(
      `Expected ${options.stateMachineLogicalId ?? 'exactly one state machine'}, found: ${machines.map(([id]) => id).join(', ') || 'none'}`,
    );
  }
  const [logicalId, machine] = match;
  const props = machine.Properties ?? {};
  if (props.Definition !== undefined)
    return resolveIntrinsics(props.Definition, resolveRef, options) as AslDefinition;
  const text = resolveIntrinsics(props.DefinitionString, resolveRef, options);
  if (typeof text !== 'string') throw new TemplateError(`${logicalId} has no DefinitionString`);
  const definition = JSON.parse(text) as AslDefinition;
  const substitutions = props.DefinitionSubstitutions as Record<string, unknown> | undefined;
  if (!substitutions) return definition;
  const values = resolveIntrinsics(substitutions, resolveRef, options) as Record<string, unknown>;
  return JSON.parse(
    text.replace(/\$\{([^}]+)\}/g, (whole, name: string) =>
      name in values ? JSON.stringify(String(values[name])).slice(1, -1) : whole,
    ),
  ) as AslDefinition;
}

export interface FunctionEntry {
  logicalId: string;
  role: HandlerRole;
  /** Source file, relative to the repository root (HANDLER_ENTRIES). */
  entry: string;
  timeoutSeconds: number;
  /** Environment variables as synthesized: values may still hold Ref / Fn::GetAtt. */
  environment: Record<string, unknown>;
}

/** Every Lambda function of the template with the handler source it runs (its `quizgen:entry` metadata). */
export function functionEntries(template: CfnTemplate): FunctionEntry[] {
  return resourcesOfType(template, 'AWS::Lambda::Function').map(([logicalId, fn]) => {
    const entry = fn.Metadata?.[ENTRY_METADATA_KEY];
    const role = fn.Metadata?.[ROLE_METADATA_KEY];
    if (typeof entry !== 'string' || typeof role !== 'string') {
      throw new TemplateError(
        `Function ${logicalId} has no ${ENTRY_METADATA_KEY} / ${ROLE_METADATA_KEY} metadata`,
      );
    }
    const props = fn.Properties ?? {};
    const environment =
      (props.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
    return {
      logicalId,
      role: role as HandlerRole,
      entry,
      timeoutSeconds: typeof props.Timeout === 'number' ? props.Timeout : 3,
      environment,
    };
  });
}
