// The meter of one agent run: steps (model turns) taken, tokens in and out, cost. The tool loop
// charges it before and after every turn; when a limit is spent the next check throws an
// LlmError of kind 'budget' naming the limit, which the loop returns as its stop status. One
// meter can span several loops of the same run (planning, then building), so limits hold for the
// run as a whole.
import { LlmError } from './errors.ts';
import type { TokenUsage } from './types.ts';

export interface BudgetLimits {
  /** Model turns the run may take. */
  readonly maxSteps?: number;
  /** Input + output tokens the run may spend. */
  readonly maxTokens?: number;
  /** USD the run may spend (by the price table). */
  readonly maxCostUsd?: number;
}

export interface BudgetSpent {
  readonly steps: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly costUsd: number;
}

export interface Budget {
  readonly limits: BudgetLimits;
  spent(): BudgetSpent;
  /** Throws LlmError('budget') when no step or token is left; else counts one step. */
  beginStep(): void;
  /** Records a turn's usage and cost. */
  charge(usage: TokenUsage & { costUsd: number }): void;
  /** Throws LlmError('budget') when a limit is spent. */
  check(): void;
  /** The budget stop that applies now, or null. */
  exhausted(): LlmError | null;
}

export function createBudget(limits: BudgetLimits = {}): Budget {
  let steps = 0;
  let inputTokens = 0;
  let outputTokens = 0;
  let costUsd = 0;

  const exhausted = (): LlmError | null => {
    const tokens = inputTokens + outputTokens;
    if (limits.maxTokens !== undefined && tokens >= limits.maxTokens) {
      return new LlmError({
        kind: 'budget',
        message: `token budget spent: ${tokens} of ${limits.maxTokens} tokens used (${inputTokens} in, ${outputTokens} out)`,
      });
    }
    if (limits.maxCostUsd !== undefined && costUsd >= limits.maxCostUsd) {
      return new LlmError({
        kind: 'budget',
        message: `cost budget spent: $${costUsd.toFixed(4)} of $${limits.maxCostUsd.toFixed(4)}`,
      });
    }
    return null;
  };

  return {
    limits,
    spent: () => ({ steps, inputTokens, outputTokens, costUsd }),
    beginStep() {
      const stop = exhausted();
      if (stop !== null) throw stop;
      if (limits.maxSteps !== undefined && steps >= limits.maxSteps) {
        throw new LlmError({
          kind: 'budget',
          message: `step budget spent: ${steps} of ${limits.maxSteps} model turns taken without a final answer`,
        });
      }
      steps += 1;
    },
    charge(usage) {
      inputTokens += usage.inputTokens;
      outputTokens += usage.outputTokens;
      costUsd += usage.costUsd;
    },
    check() {
      const stop = exhausted();
      if (stop !== null) throw stop;
    },
    exhausted,
  };
}
