// Secrets out of what an agent run keeps and shows: a run's input may carry credentials for the
// API being connected (`--credential NAME=VALUE`), and a tool call's arguments may hold a key.
// The agent needs the input as given, so it is stored as given (RLS-scoped, like connection
// secrets' metadata) and masked whenever it is shown; span arguments are masked before they are
// stored, whatever the agent already did. A field is secret by its name.
const SECRET_NAME =
  /pass(word|phrase)?$|secret|token|api[-_]?key|apikey|authorization|credential|cookie|private[-_]?key|signing[-_]?key/i;

export const MASK = '***';

const MAX_DEPTH = 32;

/** A copy of `value` with every field named like a secret replaced by `***`. */
export function maskSecrets(value: unknown, depth = 0): unknown {
  if (depth > MAX_DEPTH) return MASK;
  if (Array.isArray(value)) return value.map((v) => maskSecrets(v, depth + 1));
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    out[key] =
      SECRET_NAME.test(key) && v !== null && v !== undefined && v !== ''
        ? typeof v === 'object'
          ? maskAll(v)
          : MASK
        : maskSecrets(v, depth + 1);
  }
  return out;
}

/** Credentials are often a map of names to values (`credentials: { apiKey: … }`): mask every leaf. */
function maskAll(value: object): unknown {
  if (Array.isArray(value)) return value.map(() => MASK);
  return Object.fromEntries(Object.keys(value).map((k) => [k, MASK]));
}
