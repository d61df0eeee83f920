// The fixer: for each failed test, classify (the test's error class), patch toward what the spec
// says (or what the API's answer says: a challenge naming the key's header, a real body that
// breaks the output schema), apply through upsert_action / update_connector, re-test only what
// failed, at most N rounds. Every change is kept with its before/after diff and, after the
// re-test, whether it fixed the action.
import type { ActionInput, AuthMethod } from '../../server/domain/connector.ts';
import {
  actionInputOf,
  patchAction,
  patchAuth,
  patchBasePath,
  type FailedTest,
} from './patches.ts';
import type { SpecReference } from './spec-reference.ts';
import { failuresOf, runTests, summarize, type RunState, type StepContext } from './steps.ts';
import type { Fix, TestSummary } from './types.ts';

export async function fix(
  ctx: StepContext,
  reference: SpecReference | null,
  maxRounds: number,
): Promise<Partial<RunState> & { fixes: Fix[] }> {
  const { state } = ctx;
  const slug = state.connector?.slug ?? '';
  const fixes: Fix[] = [];
  const tests: TestSummary[] = state.tests.map((t) => ({ ...t, results: [...t.results] }));
  const failures: Record<string, FailedTest> = { ...state.failures };
  const tried = new Set<string>();
  const mockSchema = new Set<string>();
  for (let round = 1; round <= maxRounds; round++) {
    const failing = tests.flatMap((t) =>
      t.results.filter((r) => r.outcome === 'fail').map((r) => ({ target: t.target, result: r })),
    );
    if (failing.length === 0) break;
    ctx.progress(`round ${round}: ${failing.length} failing`);
    const detail = (target: string, result: TestSummary['results'][number]): FailedTest =>
      failures[`${target}:${result.action}`] ?? toFailed(result);
    const roundFixes: Fix[] = [];
    const auth = failing.find((f) => f.result.errorClass === 'auth');
    if (auth !== undefined) {
      const connector = await ctx.gateway.call(ctx.step, ctx.allow, 'get_connector', {
        connector: slug,
      });
      const current = (connector.data?.['authMethods'] ?? []) as AuthMethod[];
      const failure = detail(auth.target, auth.result);
      const patch = patchAuth({
        current,
        reference: reference?.document.connector.authMethods ?? null,
        failure,
      });
      if (patch !== null) {
        const applied = await ctx.gateway.call(ctx.step, ctx.allow, 'update_connector', {
          connector: slug,
          authMethods: patch.authMethods,
        });
        if (applied.ok)
          roundFixes.push({
            round,
            action: null,
            errorClass: 'auth',
            change: patch.change,
            diff: patch.diff,
            outcome: 'untested',
          });
      }
    }
    const outside = failing.filter((f) => f.result.errorClass === 'base_url');
    let basePathFixed = false;
    if (outside.length > 0 && reference !== null) {
      const connector = await ctx.gateway.call(ctx.step, ctx.allow, 'get_connector', {
        connector: slug,
      });
      const patch = patchBasePath({
        current: (connector.data?.['baseUrl'] as string | null | undefined) ?? null,
        reference: reference.document.connector.baseUrl ?? null,
      });
      if (patch !== null) {
        const applied = await ctx.gateway.call(ctx.step, ctx.allow, 'update_connector', {
          connector: slug,
          baseUrl: patch.baseUrl,
        });
        if (applied.ok) {
          basePathFixed = true;
          roundFixes.push({
            round,
            action: null,
            errorClass: 'base_url',
            change: patch.change,
            diff: patch.diff,
            outcome: 'untested',
          });
        }
      }
    }
    const patched = new Set<string>();
    for (const { target, result } of failing) {
      if (result.errorClass === 'auth' || patched.has(result.action)) continue;
      if (result.errorClass === 'base_url' && basePathFixed) continue;
      // The mock answers with data made from the spec's own schemas: an answer that breaks them
      // is the spec's (or the mock's) problem, not the action's. Real answers are another matter.
      if (result.errorClass === 'output_schema' && target === 'mock') {
        mockSchema.add(result.action);
        continue;
      }
      const stored = await ctx.gateway.call(ctx.step, ctx.allow, 'get_action', {
        connector: slug,
        action: result.action,
      });
      if (!stored.ok || stored.data === null) continue;
      const current = actionInputOf(stored.data);
      const ref =
        reference?.find({
          slug: current.slug,
          name: current.name,
          method: current.method,
          path: current.path,
        }) ?? null;
      const patch = patchAction({ current, reference: ref, failure: detail(target, result) });
      if (patch === null) continue;
      const key = `${result.action}:${JSON.stringify(patch.diff)}`;
      if (tried.has(key)) continue;
      tried.add(key);
      const applied = await ctx.gateway.call(ctx.step, ctx.allow, 'upsert_action', {
        connector: slug,
        action: patch.action satisfies ActionInput,
      });
      if (!applied.ok) {
        state.notes.push(
          `could not apply the fix of ${result.action}: ${applied.text.slice(0, 200)}`,
        );
        continue;
      }
      patched.add(result.action);
      roundFixes.push({
        round,
        action: result.action,
        errorClass: result.errorClass ?? 'unknown',
        change: patch.change,
        diff: patch.diff,
        outcome: 'untested',
      });
    }
    if (roundFixes.length === 0) {
      state.notes.push(`round ${round}: no patch rule applies to the remaining failures`);
      break;
    }
    // Re-test what failed, per target, and keep the new results.
    for (const summary of tests) {
      const failed = summary.results.filter((r) => r.outcome === 'fail').map((r) => r.action);
      if (failed.length === 0) continue;
      const again = await runTests(ctx, summary.target, failed);
      if (again === null) continue;
      Object.assign(failures, failuresOf(summary.target, again.results));
      const merged = summary.results.map(
        (r) => again.results.find((n) => n.action === r.action) ?? r,
      );
      const next = summarize(
        summary.target,
        merged.map((r) => ({ ...r, response: null })),
      );
      tests[tests.indexOf(summary)] = next;
    }
    for (const f of roundFixes) {
      const lines = tests.flatMap((t) => t.results);
      const mine =
        f.action === null
          ? failing.filter((x) => x.result.errorClass === f.errorClass).map((x) => x.result.action)
          : [f.action];
      f.outcome = mine.every((a) => lines.some((l) => l.action === a && l.outcome === 'pass'))
        ? 'fixed'
        : 'still_failing';
    }
    fixes.push(...roundFixes);
  }
  if (mockSchema.size > 0)
    state.notes.push(
      `${mockSchema.size} actions get mock answers that break their own spec's output schema (left as they are; see the spec findings): ${[...mockSchema].slice(0, 10).join(', ')}${mockSchema.size > 10 ? ', …' : ''}`,
    );
  return { tests, fixes };
}

function toFailed(result: TestSummary['results'][number]): FailedTest {
  return {
    action: result.action,
    errorClass: result.errorClass,
    error: result.error,
    status: result.status,
  };
}
