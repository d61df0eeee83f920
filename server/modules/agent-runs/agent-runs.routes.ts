import { ErrorBodySchema, pageOf } from '../../domain/common.ts';
import {
  AgentRunAcceptedSchema,
  AgentRunDetailSchema,
  AgentRunSchema,
  CreateAgentRunSchema,
  ListAgentRunsQuerySchema,
  ReviseAgentRunSchema,
  RunIdParamsSchema,
} from '../../domain/agent-run.ts';
import { tenantOf, type App, type AppDeps } from '../../http/types.ts';
import type { AgentRunQueue } from '../../runtime/agent-runs/executor.ts';
import {
  cancelAgentRun,
  decideAgentRun,
  getAgentRun,
  listAgentRuns,
  startAgentRun,
} from './agent-runs.service.ts';

const errors = {
  400: ErrorBodySchema,
  401: ErrorBodySchema,
  403: ErrorBodySchema,
  422: ErrorBodySchema,
  429: ErrorBodySchema,
};
const tags = ['Agent runs'];

export function agentRunsRoutes(
  app: App,
  { db, keyring }: AppDeps,
  agentRuns: () => Promise<AgentRunQueue>,
): void {
  // Opened only when a run is queued: a refused request opens nothing.
  const queue: AgentRunQueue = {
    enqueue: async (job) => (await agentRuns()).enqueue(job),
  };

  app.post('/agent-runs', {
    config: { permission: 'agents:execute' },
    schema: {
      tags,
      summary: 'Start an agent run (the Connector Agent); runs on the workers',
      body: CreateAgentRunSchema,
      response: { 202: AgentRunAcceptedSchema, ...errors },
    },
    handler: async (request, reply) => {
      const accepted = await startAgentRun({
        db,
        keyring,
        tenant: tenantOf(request),
        queue,
        input: request.body,
      });
      return reply.code(202).send(accepted);
    },
  });

  app.get('/agent-runs', {
    config: { permission: 'agents:read' },
    schema: {
      tags,
      summary: 'List agent runs, newest first',
      querystring: ListAgentRunsQuerySchema,
      response: { 200: pageOf(AgentRunSchema), ...errors },
    },
    handler: (request) => listAgentRuns({ db, tenant: tenantOf(request), query: request.query }),
  });

  app.get('/agent-runs/:runId', {
    config: { permission: 'agents:read' },
    schema: {
      tags,
      summary: 'Get an agent run: status, steps, tool calls, report, usage, pending handback',
      params: RunIdParamsSchema,
      response: { 200: AgentRunDetailSchema, 404: ErrorBodySchema, ...errors },
    },
    handler: (request) => getAgentRun({ db, tenant: tenantOf(request), id: request.params.runId }),
  });

  app.post('/agent-runs/:runId/approve', {
    config: { permission: 'agents:execute' },
    schema: {
      tags,
      summary: 'Approve the handback a waiting run paused at; the run goes on',
      params: RunIdParamsSchema,
      response: { 200: AgentRunSchema, 404: ErrorBodySchema, 409: ErrorBodySchema, ...errors },
    },
    handler: (request) =>
      decideAgentRun({
        db,
        tenant: tenantOf(request),
        queue,
        id: request.params.runId,
        decision: { decision: 'approve' },
      }),
  });

  app.post('/agent-runs/:runId/revise', {
    config: { permission: 'agents:execute' },
    schema: {
      tags,
      summary: 'Send a waiting run back with a note; it redoes the stage with it',
      params: RunIdParamsSchema,
      body: ReviseAgentRunSchema,
      response: { 200: AgentRunSchema, 404: ErrorBodySchema, 409: ErrorBodySchema, ...errors },
    },
    handler: (request) =>
      decideAgentRun({
        db,
        tenant: tenantOf(request),
        queue,
        id: request.params.runId,
        decision: { decision: 'revise', note: request.body.note },
      }),
  });

  app.post('/agent-runs/:runId/cancel', {
    config: { permission: 'agents:execute' },
    schema: {
      tags,
      summary: 'Cancel a run: at once when queued or waiting, at its next step when running',
      params: RunIdParamsSchema,
      response: { 200: AgentRunSchema, 404: ErrorBodySchema, 409: ErrorBodySchema, ...errors },
    },
    handler: (request) =>
      cancelAgentRun({ db, tenant: tenantOf(request), id: request.params.runId }),
  });
}
