import { z } from 'zod';
import { defineTool } from '../define-tool.ts';
import { EnvironmentSchema } from '../../server/domain/environment.ts';
import { listEnvironments } from '../../server/modules/environments/environments.service.ts';

export default defineTool({
  name: 'list_environments',
  title: 'List environments',
  description: 'Lists the environments workflows deploy to, with deployment counts.',
  input: z.object({}).strict(),
  output: z.object({ data: z.array(EnvironmentSchema) }),
  annotations: { readOnlyHint: true, idempotentHint: true },
  permission: 'settings:read',
  handler: async (_input, ctx) => ({
    data: await listEnvironments({ db: ctx.db, tenant: ctx.tenant }),
  }),
  summarize: (o) => o.data.map((e) => e.name).join(', '),
});
