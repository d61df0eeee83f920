// The Connector Agent's contract: what a run is asked to do, the budget it may spend and the
// report it hands back. Plain data, so a durable executor can store the input and the report as
// JSON and a resumed run can rebuild its state from finished steps.

export const CONNECTOR_STEPS = [
  'discover',
  'build',
  'events',
  'test',
  'fix',
  'map',
  'report',
] as const;
export type ConnectorStep = (typeof CONNECTOR_STEPS)[number];

export type Selection =
  | { readonly mode: 'all' }
  | { readonly mode: 'top'; readonly n: number }
  | { readonly mode: 'tag'; readonly tags: readonly string[] }
  | { readonly mode: 'list'; readonly slugs: readonly string[] };

export interface ConnectorAgentInput {
  /** A spec URL, a docs URL, an app name, or a spec file's name (its text in `specText`). */
  readonly source?: string;
  /** The spec itself, when the caller read a local file (the CLI does). */
  readonly specText?: string;
  /** Test and repair this existing connector instead of building a new one. */
  readonly connector?: string;
  /** The connector slug to build (default: from the spec title or the docs). */
  readonly slug?: string;
  /** Use this base URL instead of the one the spec or docs give (a sandbox, a local server). */
  readonly baseUrl?: string;
  /** Credentials for a test connection: apiKey, token, username/password, or custom fields. */
  readonly credentials?: Readonly<Record<string, string>>;
  /** Pause after the plan, the build and test/fix for approve or revise. */
  readonly interactive?: boolean;
  readonly selection?: Selection;
  /** Fix → re-test rounds at most (default 3). */
  readonly maxFixRounds?: number;
}

export interface ConnectorAgentBudget {
  /** Model turns in the whole run. */
  readonly maxSteps?: number;
  readonly maxTokens?: number;
  readonly maxCostUsd?: number;
  /** Tool calls in the whole run, model or not (default 2000). */
  readonly maxToolCalls?: number;
}

export interface FieldDiff {
  readonly field: string;
  readonly before: unknown;
  readonly after: unknown;
}

export interface Fix {
  readonly round: number;
  /** The action patched, or null for a connector-level change (auth, base URL). */
  readonly action: string | null;
  readonly errorClass: string;
  /** One line: what was changed and why. */
  readonly change: string;
  readonly diff: readonly FieldDiff[];
  /** After the re-test: passes now, still fails, or could not be re-tested. */
  outcome: 'fixed' | 'still_failing' | 'untested';
}

export interface TestLine {
  readonly action: string;
  readonly method: string;
  readonly path: string;
  readonly outcome: 'pass' | 'fail' | 'skipped';
  readonly status: number | null;
  readonly errorClass: string | null;
  readonly error: string | null;
}

export interface TestSummary {
  readonly target: 'mock' | 'connection';
  readonly passed: number;
  readonly failed: number;
  readonly skipped: number;
  readonly results: readonly TestLine[];
}

export interface ProposedMapping {
  readonly entity: string;
  readonly action: string;
  readonly fields: readonly { cdmField: string; expression: string; confidence: number }[];
}

export type RunOutcome = 'completed' | 'failed' | 'budget' | 'cancelled' | 'waiting';

export interface ConnectorReport {
  readonly runId: string;
  readonly status: RunOutcome;
  readonly message: string;
  readonly source: {
    readonly kind: 'spec' | 'docs' | 'existing' | 'none';
    readonly ref: string | null;
    readonly evidence: readonly string[];
  };
  readonly connector: {
    readonly slug: string;
    readonly id: string;
    readonly baseUrl: string | null;
    readonly auth: readonly string[];
  } | null;
  readonly actions: readonly { slug: string; method: string; path: string }[];
  readonly events: readonly string[];
  /** The last test of every tested action, per target. */
  readonly tests: readonly TestSummary[];
  readonly fixes: readonly Fix[];
  readonly specFindings: readonly { severity: string; path: string; message: string }[];
  readonly mappings: {
    readonly saved: readonly ProposedMapping[];
    readonly proposed: readonly ProposedMapping[];
  };
  readonly usage: {
    readonly inputTokens: number;
    readonly outputTokens: number;
    readonly costUsd: number;
    readonly toolCalls: number;
    readonly refusedCalls: number;
  };
  readonly steps: readonly { step: string; summary: string; durationMs: number }[];
  readonly notes: readonly string[];
}
