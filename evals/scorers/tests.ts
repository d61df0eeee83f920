// Action test pass rate: of the actions test_actions ran (read actions against the spec's strict
// mock, or the live API through a connection), the share that passed. Skipped actions are not
// counted either way; no test result at all (test_actions failed) scores 0.

export interface TestScore {
  passed: number;
  failed: number;
  passRate: number;
  /** Failed tests by error class (`auth`, `path`, `output_schema`, …), to read a drop by. */
  failures: Record<string, number>;
}

export function scoreTests(
  tests: {
    passed: number;
    failed: number;
    failures?: readonly { errorClass: string | null; status: number | null }[];
  } | null,
): TestScore {
  if (tests === null) return { passed: 0, failed: 0, passRate: 0, failures: {} };
  const ran = tests.passed + tests.failed;
  const failures: Record<string, number> = {};
  for (const f of tests.failures ?? []) {
    const key = f.errorClass ?? `HTTP ${f.status ?? '?'}`;
    failures[key] = (failures[key] ?? 0) + 1;
  }
  return {
    passed: tests.passed,
    failed: tests.failed,
    passRate: ran === 0 ? 1 : tests.passed / ran,
    failures,
  };
}
