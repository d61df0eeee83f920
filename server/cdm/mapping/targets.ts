/**
 * Target paths: dot paths into the output (`address.line1`), with at most one array level,
 * `lineItems[]` selecting the source array and `lineItems[].sku` mapped per element. Reading and
 * writing follow own properties only, so a path never reaches into a prototype.
 */

export interface Target {
  /** Path segments; for an array field, up to and including the array's own name. */
  head: string[];
  kind: 'plain' | 'context' | 'item';
  /** For `item`: the path inside each element. */
  tail: string[];
  /** `lineItems` for `lineItems[]` and `lineItems[].x`. */
  arrayKey: string;
}

const SEGMENT = /^[A-Za-z_$][\w$-]*$/;

export function parseTarget(path: string): Target | string {
  const parts = path.split('.');
  const head: string[] = [];
  const tail: string[] = [];
  let arrayAt = -1;
  for (const [i, part] of parts.entries()) {
    let name = part;
    if (part.endsWith('[]')) {
      if (arrayAt !== -1) return 'only one array level ([]) is supported in a target path';
      arrayAt = i;
      name = part.slice(0, -2);
    }
    if (!SEGMENT.test(name)) return `"${part}" is not a valid path segment`;
    (arrayAt === -1 || arrayAt === i ? head : tail).push(name);
  }
  if (arrayAt === -1) return { head, kind: 'plain', tail, arrayKey: '' };
  return { head, kind: tail.length === 0 ? 'context' : 'item', tail, arrayKey: head.join('.') };
}

export function setPath(
  target: Record<string, unknown>,
  path: readonly string[],
  value: unknown,
): void {
  let current = target;
  const last = path.length - 1;
  for (let i = 0; i <= last; i++) {
    const key = path[i] as string;
    if (i === last) {
      current[key] = value;
      return;
    }
    const next = current[key];
    if (typeof next === 'object' && next !== null && !Array.isArray(next)) {
      current = next as Record<string, unknown>;
    } else {
      const created: Record<string, unknown> = {};
      current[key] = created;
      current = created;
    }
  }
}

export function getPath(source: unknown, path: readonly string[]): unknown {
  let current = source;
  for (const key of path) {
    if (typeof current !== 'object' || current === null || !Object.hasOwn(current, key)) {
      return undefined;
    }
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}
