/**
 * What connecting through a widget sets up for the customer, and what disconnecting takes down.
 * Connecting: for each workflow the widget lists under the connector, an app-event trigger per
 * event on the customer's connection (subscribed at the provider as it is created), a schedule
 * when there is one (the customer's onboarding answer, else the widget's), and one run with
 * `input.lifecycle = "connected"` when asked. Disconnecting: the run with "disconnected" first
 * (while the connection still works), then each trigger is deleted, which unsubscribes it at the
 * provider. What was created is recorded on the widget connection, so deactivation undoes
 * exactly that and a second activation does nothing.
 *
 * This is work the platform does for the org on the customer's behalf, so it runs as a system
 * tenant scoped to that customer with only the permissions it needs, not with the widget token.
 */
import type { Database } from '../../db/database.ts';
import * as embedRepo from '../../db/repositories/embed.repo.ts';
import type { Activation } from '../../db/repositories/embed.repo.ts';
import {
  CustomerSettingsSchema,
  type CustomerSettings,
  type Widget,
  type WidgetWorkflow,
} from '../../domain/embed.ts';
import { systemTenant, type Tenant } from '../../domain/tenant.ts';
import { AppError } from '../../errors.ts';
import type { WorkflowRunner } from '../../runtime/runner.ts';
import { createTrigger, deleteTrigger, type TriggerDeps } from '../triggers/triggers.service.ts';

export interface ActivationDeps {
  db: Database;
  triggers: TriggerDeps;
  workflows: () => Promise<WorkflowRunner>;
}

function activationTenant({ orgId, customerId }: { orgId: string; customerId: string }): Tenant {
  return systemTenant({
    orgId,
    customerId,
    actorId: null,
    label: 'connect widget',
    permissions: [
      'connectors:read',
      'connections:read',
      'connections:execute',
      'workflows:read',
      'workflows:create',
      'workflows:delete',
      'workflows:execute',
    ],
  });
}

function messageOf(error: unknown): string {
  return error instanceof AppError ? error.message : 'an internal error';
}

function workflowsOf(widget: Widget, connector: string): WidgetWorkflow[] {
  return widget.connectors.find((c) => c.connector === connector)?.workflows ?? [];
}

async function lifecycleRun({
  deps,
  tenant,
  flow,
  widget,
  connectionId,
  connector,
  lifecycle,
  settings,
}: {
  deps: ActivationDeps;
  tenant: Tenant;
  flow: WidgetWorkflow;
  widget: Widget;
  connectionId: string;
  connector: string;
  lifecycle: 'connected' | 'disconnected';
  settings: CustomerSettings;
}): Promise<string> {
  const runner = await deps.workflows();
  const run = await runner.start({
    tenant,
    ref: flow.workflow,
    environment: flow.environment,
    customerId: tenant.customerId ?? undefined,
    input: { lifecycle, connectionId, connector, settings },
    headers: {},
    triggeredBy: 'manual',
    trigger: { source: 'widget', widget: widget.slug, lifecycle, connectionId },
  });
  return run.executionId;
}

export async function activate({
  deps,
  orgId,
  customerId,
  widget,
  connectionId,
  connector,
  customerName,
}: {
  deps: ActivationDeps;
  orgId: string;
  customerId: string;
  widget: Widget;
  connectionId: string;
  connector: string;
  customerName: string;
}): Promise<Activation> {
  const tenant = activationTenant({ orgId, customerId });
  const { current, claimed } = await deps.db.tenant(tenant, async (sql) => ({
    current: await embedRepo.findWidgetConnection(sql, { connectionId }),
    claimed: await embedRepo.claimActivation(sql, { connectionId }),
  }));
  if (!current) throw new AppError('not_found', `connection ${connectionId} is not this widget's`);
  // Activated (or being activated) already: a second call sets up nothing twice.
  if (!claimed) return current.activation;
  const settings = await deps.db.tenant(tenant, async (sql) => {
    const found = await embedRepo.findSettings(sql, { widgetId: widget.id, customerId });
    return CustomerSettingsSchema.parse(found?.settings ?? {});
  });
  const activation: Activation = {
    triggers: [],
    runs: [],
    problems: [],
    claimedAt: new Date().toISOString(),
  };
  for (const flow of workflowsOf(widget, connector)) {
    const route = {
      workflow: flow.workflow,
      environment: flow.environment,
      headers: {},
      ...(settings.filter !== undefined && { filter: settings.filter }),
    };
    for (const event of flow.events) {
      try {
        const trigger = await createTrigger({
          ...deps.triggers,
          tenant,
          input: {
            type: 'app_event',
            name: `${widget.slug}: ${event} for ${customerName}`.slice(0, 255),
            description: `Created by the connect widget '${widget.slug}' when the customer connected ${connector}`,
            appEvent: { connectionId, event },
            routes: [route],
          },
        });
        activation.triggers.push(trigger.id);
      } catch (error) {
        activation.problems.push(`${flow.workflow} on ${event}: ${messageOf(error)}`);
      }
    }
    const schedule = settings.schedule ?? flow.schedule;
    if (schedule !== undefined) {
      try {
        const trigger = await createTrigger({
          ...deps.triggers,
          tenant,
          input: {
            type: 'scheduler',
            name: `${widget.slug}: ${flow.workflow} for ${customerName}`.slice(0, 255),
            description: `Created by the connect widget '${widget.slug}' when the customer connected ${connector}`,
            scheduler: { schedule, timezone: 'UTC' },
            routes: [
              {
                workflow: flow.workflow,
                environment: flow.environment,
                headers: {},
                payload: { customerId, connectionId, connector, settings },
              },
            ],
          },
        });
        activation.triggers.push(trigger.id);
      } catch (error) {
        activation.problems.push(`${flow.workflow} on a schedule: ${messageOf(error)}`);
      }
    }
    if (flow.runOnConnect) {
      try {
        activation.runs.push(
          await lifecycleRun({
            deps,
            tenant,
            flow,
            widget,
            connectionId,
            connector,
            lifecycle: 'connected',
            settings,
          }),
        );
      } catch (error) {
        activation.problems.push(`${flow.workflow} on connect: ${messageOf(error)}`);
      }
    }
  }
  await deps.db.tenant(tenant, (sql) => embedRepo.setActivation(sql, { connectionId, activation }));
  return activation;
}

/**
 * Undoes an activation before the connection is deleted: runs the "disconnected" runs, then
 * deletes the triggers (unsubscribing app events at the provider). A provider that refuses to
 * unsubscribe is reported, and its trigger is left for an admin to look at.
 */
export async function deactivate({
  deps,
  orgId,
  customerId,
  widget,
  connectionId,
  connector,
}: {
  deps: ActivationDeps;
  orgId: string;
  customerId: string;
  widget: Widget;
  connectionId: string;
  connector: string;
}): Promise<{ runs: string[]; removedTriggers: string[]; problems: string[] }> {
  const tenant = activationTenant({ orgId, customerId });
  const current = await deps.db.tenant(tenant, (sql) =>
    embedRepo.findWidgetConnection(sql, { connectionId }),
  );
  const settings = await deps.db.tenant(tenant, async (sql) => {
    const found = await embedRepo.findSettings(sql, { widgetId: widget.id, customerId });
    return CustomerSettingsSchema.parse(found?.settings ?? {});
  });
  const out = { runs: [] as string[], removedTriggers: [] as string[], problems: [] as string[] };
  for (const flow of workflowsOf(widget, connector)) {
    if (!flow.runOnDisconnect) continue;
    try {
      out.runs.push(
        await lifecycleRun({
          deps,
          tenant,
          flow,
          widget,
          connectionId,
          connector,
          lifecycle: 'disconnected',
          settings,
        }),
      );
    } catch (error) {
      out.problems.push(`${flow.workflow} on disconnect: ${messageOf(error)}`);
    }
  }
  for (const id of current?.activation.triggers ?? []) {
    try {
      await deleteTrigger({ ...deps.triggers, tenant, id });
      out.removedTriggers.push(id);
    } catch (error) {
      if (error instanceof AppError && error.code === 'not_found') continue;
      // Left in place and reported: deleting it anyway would hide a subscription the
      // provider still holds.
      out.problems.push(`trigger ${id}: ${messageOf(error)}`);
    }
  }
  return out;
}
