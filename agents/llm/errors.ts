// Typed failures of the model layer. Every way a model turn or a tool loop can stop short has a
// kind from a closed union, so an agent step can branch on it (fall back to the deterministic
// path on `provider_error`, stop the run on `budget`) without parsing messages. Provider error
// bodies are reduced to a short message with any configured API key scrubbed out.

export type LlmErrorKind =
  | 'provider_error'
  | 'rate_limited'
  | 'timeout'
  | 'aborted'
  | 'refusal'
  | 'malformed_tool_call'
  | 'unknown_tool'
  | 'tool_not_allowed'
  | 'invalid_output'
  | 'budget';

export class LlmError extends Error {
  readonly kind: LlmErrorKind;
  /** HTTP status of the provider's answer, when there was one. */
  readonly status: number | undefined;
  /** Attempts made before giving up (retried kinds only). */
  readonly attempts: number | undefined;
  constructor({
    kind,
    message,
    status,
    attempts,
  }: {
    kind: LlmErrorKind;
    message: string;
    status?: number;
    attempts?: number;
  }) {
    super(message);
    this.name = 'LlmError';
    this.kind = kind;
    this.status = status;
    this.attempts = attempts;
  }
}

export function isLlmError(error: unknown): error is LlmError {
  return error instanceof LlmError;
}

/** The status and headers of an SDK error, read by shape (the SDKs have their own classes). */
export function httpDetails(error: unknown): { status?: number; headers?: HeaderBag } {
  if (typeof error !== 'object' || error === null) return {};
  const record = error as { status?: unknown; headers?: unknown; response?: unknown };
  const out: { status?: number; headers?: HeaderBag } = {};
  if (typeof record.status === 'number') out.status = record.status;
  else if (typeof record.response === 'object' && record.response !== null) {
    const response = record.response as { status?: unknown; headers?: unknown };
    if (typeof response.status === 'number') out.status = response.status;
    if (isHeaderBag(response.headers)) out.headers = response.headers;
  }
  if (isHeaderBag(record.headers)) out.headers = record.headers;
  return out;
}

export type HeaderBag = Headers | Record<string, string | string[] | undefined>;

function isHeaderBag(value: unknown): value is HeaderBag {
  return typeof value === 'object' && value !== null;
}

export function headerValue(headers: HeaderBag | undefined, name: string): string | undefined {
  if (headers === undefined) return undefined;
  if (headers instanceof Headers) return headers.get(name) ?? undefined;
  const value = headers[name] ?? headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

/** Removes every secret (API keys) from a message that may echo a request. */
export function scrub(message: string, secrets: readonly (string | undefined)[]): string {
  let out = message;
  for (const secret of secrets) {
    if (secret !== undefined && secret.length >= 4) out = out.split(secret).join('[redacted]');
  }
  return out.length > 500 ? `${out.slice(0, 500)}…` : out;
}
