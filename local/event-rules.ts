/**
 * EventBridge rules of the template, for the events the local stand-ins emit (Step Functions
 * "Execution Status Change"): match each event against the rules' patterns and invoke their
 * Lambda targets asynchronously, retrying as the target's RetryPolicy allows.
 */

import { randomUUID } from 'node:crypto';
import {
  type CfnTemplate,
  isRecord,
  LOCAL_ACCOUNT_ID,
  LOCAL_REGION,
  type RefResolver,
  referenceOf,
  resolveIntrinsics,
  resourcesOfType,
} from './cloudformation.ts';
import type { Invoke } from './lambda-runtime.ts';
import type { ExecutionDescription } from './step-functions-service.ts';

export interface EventBridgeEvent {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: Record<string, unknown>;
}

interface RuleTarget {
  functionLogicalId: string;
  maxRetries: number;
  input?: unknown;
}

interface Rule {
  name: string;
  pattern: Record<string, unknown>;
  targets: RuleTarget[];
}

export interface EventRules {
  readonly ruleNames: string[];
  publish(event: EventBridgeEvent): void;
  /** Waits for deliveries in progress (no new retries are scheduled once draining). */
  drain(timeoutMs?: number): Promise<void>;
}

/** EventBridge content filters the template may use; anything else fails loudly at start. */
function matchesFilter(filter: unknown, value: unknown): boolean {
  if (!isRecord(filter)) return filter === value;
  if ('prefix' in filter) return typeof value === 'string' && value.startsWith(String(filter.prefix));
  if ('suffix' in filter) return typeof value === 'string' && value.endsWith(String(filter.suffix));
  if ('exists' in filter) return (value !== undefined) === filter.exists;
  if ('anything-but' in filter) {
    const excluded = Array.isArray(filter['anything-but'])
      ? filter['anything-but']
      : [filter['anything-but']];
    return value !== undefined && !excluded.includes(value);
  }
  throw new Error(`Unsupported EventBridge filter ${JSON.stringify(filter)}`);
}

export function matchesPattern(pattern: Record<string, unknown>, event: Record<string, unknown>): boolean {
  return Object.entries(pattern).every(([key, expected]) => {
    const actual = event[key];
    if (Array.isArray(expected)) {
      const values = Array.isArray(actual) ? actual : [actual];
      return expected.some((filter) => values.some((value) => matchesFilter(filter, value)));
    }
    if (isRecord(expected)) return isRecord(actual) && matchesPattern(expected, actual);
    return false;
  });
}

export function executionStatusChangeEvent(execution: ExecutionDescription): EventBridgeEvent {
  const time = execution.stopDate ?? execution.startDate;
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Step Functions Execution Status Change',
    source: 'aws.states',
    account: LOCAL_ACCOUNT_ID,
    time: time.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: LOCAL_REGION,
    resources: [execution.executionArn],
    detail: {
      executionArn: execution.executionArn,
      stateMachineArn: execution.stateMachineArn,
      name: execution.name,
      status: execution.status,
      startDate: execution.startDate.getTime(),
      stopDate: execution.stopDate?.getTime() ?? null,
      input: execution.input,
      output: execution.output ?? null,
      inputDetails: { included: true },
      outputDetails: execution.output === undefined ? null : { included: true },
      error: execution.error ?? null,
      cause: execution.cause ?? null,
    },
  };
}

export function startEventRules(options: {
  template: CfnTemplate;
  resolver: RefResolver;
  functions: Record<string, Invoke>;
  log?: (line: string) => void;
}): EventRules {
  const log = options.log ?? (() => {});
  const rules: Rule[] = [];
  for (const [logicalId, resource] of resourcesOfType(options.template, 'AWS::Events::Rule')) {
    const props = resource.Properties ?? {};
    if (props.State === 'DISABLED' || !isRecord(props.EventPattern)) continue;
    const targets: RuleTarget[] = [];
    for (const target of Array.isArray(props.Targets) ? props.Targets : []) {
      if (!isRecord(target)) continue;
      const functionLogicalId = referenceOf(target.Arn)?.logicalId;
      if (!functionLogicalId || !options.functions[functionLogicalId]) {
        throw new Error(`Rule ${logicalId}: only Lambda targets of this template run locally`);
      }
      if (target.InputTransformer !== undefined || target.InputPath !== undefined) {
        throw new Error(`Rule ${logicalId}: InputTransformer and InputPath are not supported locally`);
      }
      const retry = isRecord(target.RetryPolicy) ? target.RetryPolicy.MaximumRetryAttempts : undefined;
      targets.push({
        functionLogicalId,
        maxRetries: typeof retry === 'number' ? retry : 185,
        input: typeof target.Input === 'string' ? JSON.parse(target.Input) : undefined,
      });
    }
    const pattern = resolveIntrinsics(props.EventPattern, options.resolver) as Record<string, unknown>;
    rules.push({ name: logicalId, pattern, targets });
  }

  // Only running invocations: a delivery sleeping before a retry is dropped at shutdown.
  const running = new Set<Promise<unknown>>();
  let draining = false;

  const deliver = async (rule: Rule, target: RuleTarget, event: EventBridgeEvent) => {
    const invoke = options.functions[target.functionLogicalId] as Invoke;
    for (let attempt = 0; !draining || attempt === 0; attempt++) {
      const invocation = invoke(target.input ?? event);
      running.add(invocation);
      try {
        await invocation;
        return;
      } catch (error) {
        if (draining || attempt >= target.maxRetries) {
          log(`rule ${rule.name}: giving up on ${target.functionLogicalId}: ${(error as Error).message}`);
          return;
        }
      } finally {
        running.delete(invocation);
      }
      // EventBridge backs off exponentially; capped here so a local fix is picked up soon.
      await new Promise((resolve) => setTimeout(resolve, Math.min(30_000, 1000 * 2 ** attempt)).unref());
    }
  };

  return {
    ruleNames: rules.map((rule) => rule.name),
    publish(event) {
      for (const rule of rules) {
        if (!matchesPattern(rule.pattern, event as unknown as Record<string, unknown>)) continue;
        for (const target of rule.targets) {
          void deliver(rule, target, event);
        }
      }
    },
    async drain(timeoutMs = 10_000) {
      draining = true;
      let timer: NodeJS.Timeout | undefined;
      const expired = new Promise((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
      });
      await Promise.race([Promise.allSettled([...running]), expired]);
      clearTimeout(timer);
    },
  };
}
