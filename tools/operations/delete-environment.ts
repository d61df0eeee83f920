import { z } from 'zod';
import { defineTool } from '../define-tool.ts';
import { EnvironmentNameSchema } from '../../server/domain/environment.ts';
import { deleteEnvironment } from '../../server/modules/environments/environments.service.ts';

export default defineTool({
  name: 'delete_environment',
  title: 'Delete environment',
  description: 'Deletes a custom environment and its deployments (not the workflows).',
  input: z.object({ environment: EnvironmentNameSchema }).strict(),
  output: z.object({
    undeployedWorkflows: z.array(z.string()),
    triggerRoutes: z.number().int(),
  }),
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false },
  write: true,
  permission: 'settings:write',
  handler: (input, ctx) =>
    deleteEnvironment({ db: ctx.db, tenant: ctx.tenant, name: input.environment }),
  summarize: (o) =>
    `deleted; ${o.undeployedWorkflows.length} workflows undeployed, ${o.triggerRoutes} trigger routes still name it`,
});
