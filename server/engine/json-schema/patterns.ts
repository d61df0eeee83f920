/**
 * `pattern` and `patternProperties` run on the linear-time matcher of server/engine/regex.ts,
 * never on the backtracking RegExp engine, and their work is charged to the validation budget:
 * a hostile pattern or a long string cannot stall the process.
 */
import { compileRegex, regexCost, regexTest, type LinearRegex } from '../regex.ts';
import { charge, type Run } from './graph.ts';

export interface Pattern {
  source: string;
  regex: LinearRegex;
}

/** A matcher for `source`, or undefined when the pattern is not enforced (see the header). */
export function compilePattern(source: unknown): Pattern | undefined {
  const regex = compileRegex(source);
  return regex === undefined ? undefined : { source: regex.source, regex };
}

export function patternMatches({
  pattern,
  input,
  run,
}: {
  pattern: Pattern;
  input: string;
  run: Run;
}): boolean {
  charge({ run, units: regexCost({ regex: pattern.regex, input }) });
  return regexTest({ regex: pattern.regex, input });
}
