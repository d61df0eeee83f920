/**
 * Compilers of the applicator keywords: those that apply subschemas, to properties and items
 * (properties, items, contains, …) or to the value itself (allOf, anyOf, oneOf, not, if,
 * dependentSchemas), plus the object and array assertions that sit beside them.
 *
 * Subschemas are compiled through `Keywords.sub`. Subschemas applied to the same value are also
 * listed in `node.inPlace`, which the compiler uses to refuse a loop that never reaches a
 * property or item. When anyOf/oneOf fail, the closest branch's issues are reported (or the
 * types every branch wanted), not every branch's.
 */
import {
  applyInPlace,
  applyToChild,
  charge,
  childPath,
  flagSink,
  mergeEvaluated,
  newEvaluated,
  report,
  REJECT,
  type Evaluated,
  type Issue,
  type Keywords,
  type Node,
  type Sink,
  type Visit,
} from './graph.ts';
import { compilePattern, patternMatches, type Pattern } from './patterns.ts';
import {
  canonical,
  count,
  isObject,
  own,
  plural,
  stringList,
  typeMessage,
  walkPointer,
} from './values.ts';

/** OpenAPI 3.0: follows local refs to see whether a property is `readOnly`. */
function isReadOnly({ root, raw }: { root: unknown; raw: unknown }): boolean {
  let current = raw;
  for (let hops = 0; hops < 16 && isObject(current); hops++) {
    if (own(current, 'readOnly') === true) return true;
    const ref = own(current, '$ref');
    if (typeof ref !== 'string' || !ref.startsWith('#')) return false;
    let pointer: string;
    try {
      pointer = decodeURIComponent(ref.slice(1));
    } catch {
      return false;
    }
    current = walkPointer({ from: root, pointer });
  }
  return false;
}

export function objectKeywords(k: Keywords): void {
  const { s, node, root, dialect, sub } = k;
  let required = stringList(own(s, 'required'));
  const rawProperties = own(s, 'properties');
  if (required !== undefined && dialect === 'openapi-3.0' && isObject(rawProperties)) {
    // OpenAPI 3.0: a required readOnly property is required in responses only.
    required = required.filter((name) => !isReadOnly({ root, raw: own(rawProperties, name) }));
  }
  if (required !== undefined && required.length > 0) {
    const names = required;
    node.checks.push((v) => {
      if (!isObject(v.value)) return true;
      charge({ run: v.run, units: names.length >>> 4 });
      let ok = true;
      for (const name of names) {
        if (Object.hasOwn(v.value, name)) continue;
        ok = report({
          v,
          keyword: 'required',
          message: 'is required',
          path: childPath({ path: v.path, key: name }),
        });
        if (v.sink.issues === null) return false;
      }
      return ok;
    });
  }

  // dependentRequired, and the array form of draft 4/7 `dependencies`.
  const dependencies = new Map<string, string[]>();
  const dependentSchemas = new Map<string, Node>();
  for (const keyword of ['dependencies', 'dependentRequired', 'dependentSchemas']) {
    const map = own(s, keyword);
    if (!isObject(map)) continue;
    for (const [name, value] of Object.entries(map)) {
      const names = stringList(value);
      if (keyword !== 'dependentSchemas' && names !== undefined) dependencies.set(name, names);
      else if (keyword !== 'dependentRequired' && names === undefined) {
        dependentSchemas.set(name, sub(value, keyword, name));
      }
    }
  }
  if (dependencies.size > 0) {
    node.checks.push((v) => {
      if (!isObject(v.value)) return true;
      const object = v.value;
      let ok = true;
      for (const [name, names] of dependencies) {
        if (!Object.hasOwn(object, name)) continue;
        charge({ run: v.run, units: 1 + (names.length >>> 4) });
        for (const needed of names) {
          if (Object.hasOwn(object, needed)) continue;
          ok = report({
            v,
            keyword: 'dependentRequired',
            message: `is required when ${name} is present`,
            path: childPath({ path: v.path, key: needed }),
          });
          if (v.sink.issues === null) return false;
        }
      }
      return ok;
    });
  }
  for (const [name, dependent] of dependentSchemas) {
    node.inPlace.push(dependent);
    node.checks.push(
      (v) =>
        !isObject(v.value) || !Object.hasOwn(v.value, name) || applyInPlace({ v, node: dependent }),
    );
  }

  const minProperties = count(own(s, 'minProperties'));
  const maxProperties = count(own(s, 'maxProperties'));
  if (minProperties !== undefined || maxProperties !== undefined) {
    node.checks.push((v) => {
      if (!isObject(v.value)) return true;
      const n = Object.keys(v.value).length;
      if (minProperties !== undefined && n < minProperties) {
        return report({
          v,
          keyword: 'minProperties',
          message: `must have at least ${plural({ n: minProperties, one: 'property', many: 'properties' })}`,
        });
      }
      if (maxProperties !== undefined && n > maxProperties) {
        return report({
          v,
          keyword: 'maxProperties',
          message: `must have at most ${plural({ n: maxProperties, one: 'property', many: 'properties' })}`,
        });
      }
      return true;
    });
  }

  const properties = new Map<string, Node>();
  if (isObject(rawProperties)) {
    for (const [name, value] of Object.entries(rawProperties))
      properties.set(name, sub(value, 'properties', name));
  }
  const patternProperties: { pattern: Pattern; node: Node }[] = [];
  const rawPatterns = own(s, 'patternProperties');
  if (isObject(rawPatterns)) {
    for (const [source, value] of Object.entries(rawPatterns)) {
      const pattern = compilePattern(source);
      if (pattern !== undefined)
        patternProperties.push({ pattern, node: sub(value, 'patternProperties', source) });
    }
  }
  const rawAdditional = own(s, 'additionalProperties');
  const additional =
    rawAdditional === undefined ? undefined : sub(rawAdditional, 'additionalProperties');
  if (properties.size > 0 || patternProperties.length > 0 || additional !== undefined) {
    node.checks.push((v) => {
      if (!isObject(v.value)) return true;
      const object = v.value;
      let ok = true;
      for (const key of Object.keys(object)) {
        let matched = false;
        const property = properties.get(key);
        if (property !== undefined) {
          matched = true;
          if (!applyToChild({ v, node: property, key, value: object[key] })) {
            ok = false;
            if (v.sink.issues === null) return false;
          }
        }
        for (const entry of patternProperties) {
          if (!patternMatches({ pattern: entry.pattern, input: key, run: v.run })) continue;
          matched = true;
          if (!applyToChild({ v, node: entry.node, key, value: object[key] })) {
            ok = false;
            if (v.sink.issues === null) return false;
          }
        }
        if (!matched && additional !== undefined) {
          const passed =
            additional === REJECT
              ? report({
                  v,
                  keyword: 'additionalProperties',
                  message: 'is not an allowed property',
                  path: childPath({ path: v.path, key }),
                })
              : applyToChild({ v, node: additional, key, value: object[key] });
          if (!passed) {
            ok = false;
            if (v.sink.issues === null) return false;
          }
        }
        if (v.evaluated !== null && (matched || additional !== undefined))
          v.evaluated.props.add(key);
      }
      return ok;
    });
  }

  const rawNames = own(s, 'propertyNames');
  if (rawNames !== undefined) {
    const names = sub(rawNames, 'propertyNames');
    node.checks.push((v) => {
      if (!isObject(v.value)) return true;
      let ok = true;
      for (const key of Object.keys(v.value)) {
        const inner: Sink = { issues: [], total: 0 };
        if (names.check({ value: key, path: null, run: v.run, sink: inner, evaluated: null }))
          continue;
        const reason = inner.issues?.[0]?.message ?? 'is not allowed';
        ok = report({
          v,
          keyword: 'propertyNames',
          message: `is not an allowed property name: it ${reason}`,
          path: childPath({ path: v.path, key }),
        });
        if (v.sink.issues === null) return false;
      }
      return ok;
    });
  }
}

export function arrayKeywords(k: Keywords): void {
  const { s, node, sub } = k;
  const rawPrefix = own(s, 'prefixItems');
  const rawItems = own(s, 'items');
  // Tuples are prefixItems (2020-12) or an items array (earlier drafts, accepted everywhere).
  const tupleRaw = Array.isArray(rawPrefix)
    ? rawPrefix
    : Array.isArray(rawItems)
      ? rawItems
      : undefined;
  const tupleKeyword = Array.isArray(rawPrefix) ? 'prefixItems' : 'items';
  const tuple = (tupleRaw ?? []).map((item, i) => sub(item, tupleKeyword, i));
  let rest: Node | undefined;
  let restKeyword = 'items';
  if (rawItems !== undefined && !Array.isArray(rawItems)) {
    rest = sub(rawItems, 'items');
  } else if (Array.isArray(rawItems) && own(s, 'additionalItems') !== undefined) {
    rest = sub(own(s, 'additionalItems'), 'additionalItems');
    restKeyword = 'additionalItems';
  }
  if (tuple.length > 0 || rest !== undefined) {
    const restNode = rest;
    node.checks.push((v) => {
      if (!Array.isArray(v.value)) return true;
      const items: unknown[] = v.value;
      let ok = true;
      const prefix = Math.min(tuple.length, items.length);
      for (let i = 0; i < prefix; i++) {
        const item = tuple[i];
        if (item !== undefined && !applyToChild({ v, node: item, key: i, value: items[i] })) {
          ok = false;
          if (v.sink.issues === null) return false;
        }
        v.evaluated?.items.add(i);
      }
      if (restNode !== undefined && items.length > prefix) {
        if (restNode === REJECT) {
          return report({
            v,
            keyword: restKeyword,
            message: `must have at most ${plural({ n: tuple.length, one: 'item' })}`,
          });
        }
        for (let i = prefix; i < items.length; i++) {
          if (!applyToChild({ v, node: restNode, key: i, value: items[i] })) {
            ok = false;
            if (v.sink.issues === null) return false;
          }
        }
        if (v.evaluated !== null) v.evaluated.allItems = true;
      }
      return ok;
    });
  }

  const minItems = count(own(s, 'minItems'));
  const maxItems = count(own(s, 'maxItems'));
  if (minItems !== undefined || maxItems !== undefined) {
    node.checks.push((v) => {
      if (!Array.isArray(v.value)) return true;
      if (minItems !== undefined && v.value.length < minItems) {
        return report({
          v,
          keyword: 'minItems',
          message: `must have at least ${plural({ n: minItems, one: 'item' })}`,
        });
      }
      if (maxItems !== undefined && v.value.length > maxItems) {
        return report({
          v,
          keyword: 'maxItems',
          message: `must have at most ${plural({ n: maxItems, one: 'item' })}`,
        });
      }
      return true;
    });
  }

  if (own(s, 'uniqueItems') === true) {
    node.checks.push((v) => {
      if (!Array.isArray(v.value)) return true;
      const seen = new Map<string, number>();
      const items: unknown[] = v.value;
      for (let i = 0; i < items.length; i++) {
        const key = canonical({ value: items[i], run: v.run });
        const first = seen.get(key);
        if (first !== undefined) {
          return report({
            v,
            keyword: 'uniqueItems',
            message: `must not contain duplicates (items ${first} and ${i} are equal)`,
          });
        }
        seen.set(key, i);
      }
      return true;
    });
  }

  const rawContains = own(s, 'contains');
  if (rawContains !== undefined) {
    const contains = sub(rawContains, 'contains');
    const minContains = count(own(s, 'minContains')) ?? 1;
    const maxContains = count(own(s, 'maxContains'));
    node.checks.push((v) => {
      if (!Array.isArray(v.value)) return true;
      const items: unknown[] = v.value;
      let matches = 0;
      for (let i = 0; i < items.length; i++) {
        const probe: Visit = {
          value: items[i],
          path: null,
          run: v.run,
          sink: flagSink(),
          evaluated: null,
        };
        if (contains.check(probe)) {
          matches++;
          v.evaluated?.items.add(i);
        }
      }
      if (matches < minContains) {
        return report({
          v,
          keyword: minContains === 1 ? 'contains' : 'minContains',
          message: `must contain at least ${plural({ n: minContains, one: 'item' })} matching the contains schema`,
        });
      }
      if (maxContains !== undefined && matches > maxContains) {
        return report({
          v,
          keyword: 'maxContains',
          message: `must contain at most ${plural({ n: maxContains, one: 'item' })} matching the contains schema`,
        });
      }
      return true;
    });
  }
}

interface BranchResult {
  issues: Issue[];
  total: number;
  wrongType: boolean;
}

/** Explains why no branch of anyOf/oneOf matched: the closest branch's issues, or the types. */
function reportBranches({
  v,
  branches,
  keyword,
}: {
  v: Visit;
  branches: readonly Node[];
  keyword: string;
}): false {
  const results: BranchResult[] = branches.map((branch) => {
    const sink: Sink = { issues: [], total: 0 };
    branch.check({ ...v, sink, evaluated: null });
    const issues = sink.issues ?? [];
    const wrongType = issues.some((issue) => issue.keyword === 'type' && issue.path === v.path);
    return { issues, total: sink.total, wrongType };
  });
  const summary = `must match ${keyword === 'oneOf' ? 'exactly one' : 'at least one'} schema in ${keyword}`;
  const candidates = results.filter((result) => !result.wrongType && result.total > 0);
  if (candidates.length === 0) {
    // Every branch wants another type: say which types would do.
    const expected = new Set<string>();
    for (const result of results) {
      for (const issue of result.issues) {
        if (issue.keyword === 'type' && issue.path === v.path) {
          for (const type of issue.expected ?? []) expected.add(type);
        }
      }
    }
    const types = [...expected];
    const message = types.length > 0 ? typeMessage(types) : summary;
    return report({ v, keyword, message, expected: types });
  }
  const best = candidates.reduce((a, b) => (b.total < a.total ? b : a));
  report({ v, keyword, message: summary });
  for (const issue of best.issues) report({ v, ...issue, expected: issue.expected ?? [] });
  v.sink.total += best.total - best.issues.length;
  return false;
}

export function combinationKeywords(k: Keywords): void {
  const { s, node, sub } = k;
  const list = (keyword: string): Node[] | undefined => {
    const raw = own(s, keyword);
    return Array.isArray(raw) && raw.length > 0
      ? raw.map((item, i) => sub(item, keyword, i))
      : undefined;
  };

  const allOf = list('allOf');
  if (allOf !== undefined) {
    node.inPlace.push(...allOf);
    node.checks.push((v) => {
      let ok = true;
      for (const branch of allOf) {
        if (applyInPlace({ v, node: branch })) continue;
        ok = false;
        if (v.sink.issues === null) return false;
      }
      return ok;
    });
  }

  const anyOf = list('anyOf');
  if (anyOf !== undefined) {
    node.inPlace.push(...anyOf);
    node.checks.push((v) => {
      // Every branch must run when unevaluated* needs what each passing branch evaluated.
      let passed = false;
      for (const branch of anyOf) {
        if (applyInPlace({ v: { ...v, sink: flagSink() }, node: branch })) {
          passed = true;
          if (v.evaluated === null) break;
        }
      }
      if (passed) return true;
      if (v.sink.issues === null) return false;
      return reportBranches({ v, branches: anyOf, keyword: 'anyOf' });
    });
  }

  const oneOf = list('oneOf');
  if (oneOf !== undefined) {
    node.inPlace.push(...oneOf);
    node.checks.push((v) => {
      const matched: number[] = [];
      let evaluated: Evaluated | null = null;
      for (let i = 0; i < oneOf.length; i++) {
        const branch = oneOf[i];
        if (branch === undefined) continue;
        const branchEvaluated = v.evaluated === null ? null : newEvaluated();
        if (branch.check({ ...v, sink: flagSink(), evaluated: branchEvaluated })) {
          matched.push(i);
          evaluated = branchEvaluated;
          if (matched.length > 1) break;
        }
      }
      if (matched.length === 1) {
        if (v.evaluated !== null && evaluated !== null)
          mergeEvaluated({ into: v.evaluated, from: evaluated });
        return true;
      }
      if (v.sink.issues === null) return false;
      if (matched.length === 0) return reportBranches({ v, branches: oneOf, keyword: 'oneOf' });
      return report({
        v,
        keyword: 'oneOf',
        message: `must match exactly one schema in oneOf, but matches ${matched.join(' and ')}`,
      });
    });
  }

  const rawNot = own(s, 'not');
  if (rawNot !== undefined) {
    const not = sub(rawNot, 'not');
    node.inPlace.push(not);
    node.checks.push(
      (v) =>
        !not.check({ ...v, sink: flagSink(), evaluated: null }) ||
        report({ v, keyword: 'not', message: 'must not match the schema in not' }),
    );
  }

  const rawIf = own(s, 'if');
  if (rawIf !== undefined) {
    const condition = sub(rawIf, 'if');
    const rawThen = own(s, 'then');
    const rawElse = own(s, 'else');
    const then = rawThen === undefined ? undefined : sub(rawThen, 'then');
    const otherwise = rawElse === undefined ? undefined : sub(rawElse, 'else');
    node.inPlace.push(
      condition,
      ...(then === undefined ? [] : [then]),
      ...(otherwise === undefined ? [] : [otherwise]),
    );
    node.checks.push((v) => {
      const passed = applyInPlace({ v: { ...v, sink: flagSink() }, node: condition });
      const branch = passed ? then : otherwise;
      return branch === undefined || applyInPlace({ v, node: branch });
    });
  }
}

export function unevaluatedKeywords({ s, node, sub }: Keywords): void {
  const rawProperties = own(s, 'unevaluatedProperties');
  const rawItems = own(s, 'unevaluatedItems');
  if (rawProperties === undefined && rawItems === undefined) return;
  node.tracksEvaluation = true;
  if (rawProperties !== undefined) {
    const rest = sub(rawProperties, 'unevaluatedProperties');
    node.checks.push((v) => {
      if (!isObject(v.value) || v.evaluated === null) return true;
      const object = v.value;
      let ok = true;
      for (const key of Object.keys(object)) {
        if (v.evaluated.props.has(key)) continue;
        const passed =
          rest === REJECT
            ? report({
                v,
                keyword: 'unevaluatedProperties',
                message: 'is not an allowed property',
                path: childPath({ path: v.path, key }),
              })
            : applyToChild({ v, node: rest, key, value: object[key] });
        if (!passed) {
          ok = false;
          if (v.sink.issues === null) return false;
        }
        v.evaluated.props.add(key);
      }
      return ok;
    });
  }
  if (rawItems !== undefined) {
    const rest = sub(rawItems, 'unevaluatedItems');
    node.checks.push((v) => {
      if (!Array.isArray(v.value) || v.evaluated === null || v.evaluated.allItems) return true;
      const items: unknown[] = v.value;
      let ok = true;
      for (let i = 0; i < items.length; i++) {
        if (v.evaluated.items.has(i)) continue;
        const passed =
          rest === REJECT
            ? report({
                v,
                keyword: 'unevaluatedItems',
                message: 'is not allowed',
                path: childPath({ path: v.path, key: i }),
              })
            : applyToChild({ v, node: rest, key: i, value: items[i] });
        if (!passed) {
          ok = false;
          if (v.sink.issues === null) return false;
        }
      }
      v.evaluated.allItems = true;
      return ok;
    });
  }
}
