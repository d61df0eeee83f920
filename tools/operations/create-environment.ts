import { defineTool } from '../define-tool.ts';
import { CreateEnvironmentSchema, EnvironmentSchema } from '../../server/domain/environment.ts';
import { createEnvironment } from '../../server/modules/environments/environments.service.ts';

export default defineTool({
  name: 'create_environment',
  title: 'Create environment',
  description: 'Adds an environment next to development, staging and production.',
  input: CreateEnvironmentSchema,
  output: EnvironmentSchema,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false },
  write: true,
  permission: 'settings:write',
  handler: (input, ctx) => createEnvironment({ db: ctx.db, tenant: ctx.tenant, input }),
  summarize: (o) => `created environment ${o.name}`,
});
