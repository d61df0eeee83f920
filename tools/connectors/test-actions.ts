import { defineTool } from '../define-tool.ts';
import {
  TestActionsInputSchema,
  TestActionsResultSchema,
} from '../../server/domain/action-test.ts';
import { testActions } from '../../server/modules/action-tests/action-tests.service.ts';

// Decision: a write (each test is stored for later comparison) with an outside side effect, so
// a dry run answers with the call it would make and runs nothing; mock runs reach only the
// in-process mock, connection runs the real API.
export default defineTool({
  name: 'test_actions',
  title: 'Test connector actions',
  description:
    "Calls a connector's actions with generated input and classifies each failure (auth, base_url, path, parameter_location, schema, …); mock: true tests against the imported spec, connectionId the real API.",
  input: TestActionsInputSchema,
  output: TestActionsResultSchema,
  annotations: {
    readOnlyHint: false,
    destructiveHint: false,
    idempotentHint: false,
    openWorldHint: true,
  },
  permission: 'connections:read',
  write: true,
  external: true,
  handler: (input, ctx) =>
    testActions({
      runtime: ctx.runtime,
      tenant: ctx.tenant,
      guard: ctx.config,
      input,
    }),
  summarize: (o) =>
    `${o.passed} passed, ${o.failed} failed, ${o.skipped} skipped against the ${o.target}${
      o.failed > 0
        ? ` (${o.results
            .filter((r) => r.outcome === 'fail')
            .slice(0, 5)
            .map((r) => `${r.action}: ${r.errorClass ?? `HTTP ${r.status ?? '?'}`}`)
            .join(', ')})`
        : ''
    }`,
});
