import { z } from 'zod';
import { ErrorBodySchema, IdParamsSchema, pageOf } from '../../domain/common.ts';
import {
  CreateWorkflowSchema,
  DeploySchema,
  ExecutionDetailSchema,
  ExecutionSchema,
  ListExecutionsQuerySchema,
  ListWorkflowsQuerySchema,
  PublishSchema,
  RunResultSchema,
  RunWorkflowSchema,
  UpdateWorkflowSchema,
  WorkflowSchema,
  WorkflowVersionSchema,
} from '../../domain/workflow.ts';
import { tenantOf, type App, type AppDeps } from '../../http/types.ts';
import { getExecution, listExecutions, rerunExecution, runWorkflow } from './executions.service.ts';
import { runHeaders, type WorkflowRunner } from '../../runtime/runner.ts';
import {
  createWorkflow,
  deleteWorkflow,
  deployWorkflow,
  getWorkflow,
  listVersions,
  listWorkflows,
  publishWorkflow,
  updateWorkflow,
} from './workflows.service.ts';

const errors = {
  400: ErrorBodySchema,
  401: ErrorBodySchema,
  403: ErrorBodySchema,
  422: ErrorBodySchema,
  429: ErrorBodySchema,
};
const RefParamsSchema = z
  .object({ id: z.string().min(1).max(100).describe('Workflow id or slug') })
  .strict();

export function workflowsRoutes(
  app: App,
  { db }: AppDeps,
  /** The runner, started on first use: an API that never runs a workflow spawns no sandbox. */
  runner: () => Promise<WorkflowRunner>,
): void {
  const tags = ['Workflows'];

  app.get('/workflows', {
    config: { permission: 'workflows:read' },
    schema: {
      tags,
      summary: 'List workflows',
      querystring: ListWorkflowsQuerySchema,
      response: { 200: pageOf(WorkflowSchema), ...errors },
    },
    handler: (request) => listWorkflows({ db, tenant: tenantOf(request), query: request.query }),
  });

  app.post('/workflows', {
    config: { permission: 'workflows:create' },
    schema: {
      tags,
      summary: 'Create a workflow (its code is saved as the draft)',
      body: CreateWorkflowSchema,
      response: { 201: WorkflowSchema, 409: ErrorBodySchema, ...errors },
    },
    handler: async (request, reply) =>
      reply
        .code(201)
        .send(await createWorkflow({ db, tenant: tenantOf(request), input: request.body })),
  });

  app.get('/workflows/:id', {
    config: { permission: 'workflows:read' },
    schema: {
      tags,
      summary: 'Get a workflow by id or slug',
      params: RefParamsSchema,
      response: { 200: WorkflowSchema, 404: ErrorBodySchema, ...errors },
    },
    handler: (request) => getWorkflow({ db, tenant: tenantOf(request), ref: request.params.id }),
  });

  app.patch('/workflows/:id', {
    config: { permission: 'workflows:update' },
    schema: {
      tags,
      summary: 'Update settings or the draft code',
      params: RefParamsSchema,
      body: UpdateWorkflowSchema,
      response: { 200: WorkflowSchema, 404: ErrorBodySchema, ...errors },
    },
    handler: (request) =>
      updateWorkflow({
        db,
        tenant: tenantOf(request),
        ref: request.params.id,
        input: request.body,
      }),
  });

  app.delete('/workflows/:id', {
    config: { permission: 'workflows:delete' },
    schema: {
      tags,
      summary: 'Delete a workflow, its versions and its executions',
      params: RefParamsSchema,
      response: { 204: z.null(), 404: ErrorBodySchema, ...errors },
    },
    handler: async (request, reply) => {
      await deleteWorkflow({ db, tenant: tenantOf(request), ref: request.params.id });
      return reply.code(204).send(null);
    },
  });

  app.post('/workflows/:id/publish', {
    config: { permission: 'workflows:update' },
    schema: {
      tags,
      summary: 'Compile the draft into the next immutable version (v1, v2, …)',
      description:
        'A compile error answers 422 with the line and column of each problem in `details.errors`.',
      params: RefParamsSchema,
      body: PublishSchema.default({}),
      response: {
        201: z.object({ version: WorkflowVersionSchema, workflow: WorkflowSchema }),
        404: ErrorBodySchema,
        409: ErrorBodySchema,
        ...errors,
      },
    },
    handler: async (request, reply) =>
      reply.code(201).send(
        await publishWorkflow({
          db,
          tenant: tenantOf(request),
          ref: request.params.id,
          note: request.body.note,
          deployTo: request.body.deployTo,
        }),
      ),
  });

  app.post('/workflows/:id/deploy', {
    config: { permission: 'workflows:deploy_test' },
    schema: {
      tags,
      summary: 'Deploy a published version to an environment (an older one rolls back)',
      params: RefParamsSchema,
      body: DeploySchema,
      response: { 200: WorkflowSchema, 404: ErrorBodySchema, ...errors },
    },
    handler: (request) =>
      deployWorkflow({
        db,
        tenant: tenantOf(request),
        ref: request.params.id,
        environment: request.body.environment,
        version: request.body.version,
      }),
  });

  app.get('/workflows/:id/versions', {
    config: { permission: 'workflows:read' },
    schema: {
      tags,
      summary: 'List published versions, newest first',
      params: RefParamsSchema,
      response: {
        200: z.object({ data: z.array(WorkflowVersionSchema) }),
        404: ErrorBodySchema,
        ...errors,
      },
    },
    handler: async (request) => ({
      data: await listVersions({ db, tenant: tenantOf(request), ref: request.params.id }),
    }),
  });

  app.post('/workflows/:id/run', {
    config: { permission: 'workflows:execute' },
    schema: {
      tags,
      summary: 'Run the deployed version',
      description:
        'Instant workflows run now and answer 200 with the output (a failed run is still 200, with `status` and `error`). Standard and Long workflows answer 202 with the execution id; follow it at /api/v1/executions/{id}.',
      params: RefParamsSchema,
      body: RunWorkflowSchema.default({}),
      response: {
        200: RunResultSchema,
        202: RunResultSchema,
        404: ErrorBodySchema,
        409: ErrorBodySchema,
        ...errors,
      },
    },
    handler: async (request, reply) => {
      const tenant = tenantOf(request);
      const summary = await runWorkflow({
        runner: await runner(),
        run: {
          tenant,
          ref: request.params.id,
          environment: request.body.environment,
          version: request.body.version,
          customerId: request.body.customerId,
          input: request.body.input ?? null,
          headers: runHeaders(request.headers),
          triggeredBy: tenant.actor.type === 'agent' ? 'agent-service' : 'manual',
          trigger: { requestId: request.id },
        },
      });
      return reply.code(summary.tier === 'instant' ? 200 : 202).send(summary);
    },
  });

  const executionTags = ['Executions'];

  app.get('/executions', {
    config: { permission: 'workflows:read' },
    schema: {
      tags: executionTags,
      summary: 'List executions, newest first',
      querystring: ListExecutionsQuerySchema,
      response: { 200: pageOf(ExecutionSchema), ...errors },
    },
    handler: (request) => listExecutions({ db, tenant: tenantOf(request), query: request.query }),
  });

  app.get('/executions/:id', {
    config: { permission: 'workflows:read' },
    schema: {
      tags: executionTags,
      summary: 'Get an execution with its logs, spans and steps',
      params: IdParamsSchema,
      response: { 200: ExecutionDetailSchema, 404: ErrorBodySchema, ...errors },
    },
    handler: (request) => getExecution({ db, tenant: tenantOf(request), id: request.params.id }),
  });

  app.post('/executions/:id/rerun', {
    config: { permission: 'workflows:execute' },
    schema: {
      tags: executionTags,
      summary: 'Run the same workflow version again with the same input',
      params: IdParamsSchema,
      response: { 200: RunResultSchema, 202: RunResultSchema, 404: ErrorBodySchema, ...errors },
    },
    handler: async (request, reply) => {
      const summary = await rerunExecution({
        db,
        runner: await runner(),
        tenant: tenantOf(request),
        id: request.params.id,
        headers: runHeaders(request.headers),
      });
      return reply.code(summary.tier === 'instant' ? 200 : 202).send(summary);
    },
  });
}
