// Base URL: where requests go, server variables at their defaults, compared with the gold
// exactly (a trailing slash aside). A connector without a base URL misses unless the gold has
// none either.

export interface BaseUrlScore {
  expected: string | null;
  got: string | null;
  ok: boolean;
}

export function resolveBaseUrl({
  baseUrl,
  serverVariables,
}: {
  baseUrl: string | null;
  serverVariables: Readonly<Record<string, string>>;
}): string | null {
  if (baseUrl === null) return null;
  return baseUrl.replace(/\{([^}]+)\}/g, (whole, name: string) => serverVariables[name] ?? whole);
}

const trim = (url: string | null): string | null => (url === null ? null : url.replace(/\/+$/, ''));

export function scoreBaseUrl({
  expected,
  baseUrl,
  serverVariables,
}: {
  expected: string | null;
  baseUrl: string | null;
  serverVariables: Readonly<Record<string, string>>;
}): BaseUrlScore {
  const got = resolveBaseUrl({ baseUrl, serverVariables });
  return { expected, got, ok: trim(got) === trim(expected) };
}
