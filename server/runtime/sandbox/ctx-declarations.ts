/**
 * The TypeScript declarations of `ctx`, written from what the sandbox really hands a workflow
 * (sandbox/bootstrap.ts builds it, host.ts answers its calls). They serve twice: as the
 * `weft://docs/workflow-ctx` resource an agent reads before writing a workflow, and as the
 * declarations a workflow is type-checked against at publish (type-check.ts). A change to the
 * ctx API changes this file in the same commit.
 */
export const CTX_DECLARATIONS = `/** JSON values: what crosses between a workflow and the host. */
type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/** What a connector action call resolves to (the API's answer; secrets scrubbed). */
interface ActionResult {
  status: number;
  ok: boolean;
  headers: Record<string, string>;
  /** The parsed JSON body (or text). */
  body: any;
}

interface FetchInit {
  method?: string;
  headers?: Record<string, string>;
  /** A string is sent as is; an object or array as JSON (content-type set for you). */
  body?: string | { [key: string]: unknown } | unknown[];
}

interface FetchResponse {
  readonly status: number;
  readonly ok: boolean;
  readonly headers: Readonly<Record<string, string>>;
  text(): Promise<string>;
  json(): Promise<any>;
}

type CdmEntityName = 'Contact' | 'Product' | 'Order' | 'Invoice' | 'InventoryLevel' | 'Fulfillment';

interface CdmArgs {
  /** Connector slug whose saved mapping is used (the customer's overrides on top). */
  connector: string;
  entity: CdmEntityName;
  /** One record (not a whole list response). */
  record: { [key: string]: unknown };
}

interface StateOptions {
  /** 'org' (default): shared by every run; 'invocation': this execution only. */
  scope?: 'org' | 'invocation';
}

interface Logger {
  debug(...parts: unknown[]): void;
  info(...parts: unknown[]): void;
  warn(...parts: unknown[]): void;
  error(...parts: unknown[]): void;
}

/** The one argument of a workflow's default export: \`export default async (ctx: WorkflowContext) => …\`. */
interface WorkflowContext {
  /** run_workflow's input, or the trigger event's payload. */
  readonly input: any;
  /** Request headers of a webhook trigger; {} otherwise. */
  readonly headers: Readonly<Record<string, string>>;
  readonly trigger: { readonly type: string; readonly [key: string]: any };
  /** The customer the run is for (id, externalId, name, metadata), or null. */
  readonly customer: { readonly id: string; readonly externalId?: string | null; readonly name?: string; readonly [key: string]: any } | null;
  readonly env: { readonly name: 'development' | 'staging' | 'production' };
  readonly executionId: string;
  /** 1 on the first attempt. */
  readonly attempt: number;
  readonly log: Logger;
  readonly secrets: {
    /** An org secret's value, or null when there is none. */
    get(name: string): Promise<string | null>;
  };
  readonly state: {
    get(key: string, options?: StateOptions): Promise<any>;
    /** value must be JSON; undefined is refused (use delete). */
    set(key: string, value: Json | { [key: string]: unknown } | unknown[], options?: StateOptions & { ttlSeconds?: number }): Promise<void>;
    delete(key: string, options?: StateOptions): Promise<void>;
  };
  /**
   * Actions through the run's customer's connection:
   * \`await ctx.connectors.shop.list_orders({ limit: 10 })\` (connector slug, action slug).
   */
  readonly connectors: {
    readonly [connector: string]: {
      readonly [action: string]: (input?: { [key: string]: unknown }) => Promise<ActionResult>;
    };
  };
  /** Maps one record with the saved mapping; rejects with the failed fields. */
  readonly cdm: {
    toCanonical(args: CdmArgs): Promise<{ [field: string]: any }>;
    fromCanonical(args: CdmArgs): Promise<{ [field: string]: any }>;
  };
  /** Any http(s) URL, through the SSRF guard. */
  readonly http: { fetch(url: string, init?: FetchInit): Promise<FetchResponse> };
  /** Runs fn once per execution: a retry gets the stored result (must be JSON). */
  step<T>(name: string, fn: () => T | Promise<T>): Promise<T>;
  /** Long tier only. */
  sleep(ms: number): Promise<void>;
}
`;
