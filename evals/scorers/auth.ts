// Primary auth: the first auth method of the built connector (what a user is asked for first)
// must be the gold's primary method. Strict: another acceptable method is a miss, and so is no
// method at all where the API has one.

/** Weft's auth type names → the gold label's names. */
const GOLD_NAMES: Readonly<Record<string, string>> = { api_key: 'apiKey' };

export interface AuthScore {
  expected: string;
  got: string | null;
  ok: boolean;
}

export function scoreAuth({
  expected,
  authTypes,
}: {
  expected: string;
  authTypes: readonly string[];
}): AuthScore {
  const first = authTypes[0];
  const got = first === undefined ? null : (GOLD_NAMES[first] ?? first);
  const ok = expected === 'none' ? got === null || got === 'none' : got === expected;
  return { expected, got, ok };
}
