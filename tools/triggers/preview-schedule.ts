import { z } from 'zod';
import { defineTool } from '../define-tool.ts';
import { SchedulerConfigSchema } from '../../server/domain/trigger.ts';
import { previewSchedule } from '../../server/modules/triggers/triggers.service.ts';

export default defineTool({
  name: 'preview_schedule',
  title: 'Preview a schedule',
  description:
    'The next runs of a schedule (interval, daily, weekly, monthly or cron, in a time zone), to check it before creating a scheduler trigger.',
  input: SchedulerConfigSchema.extend({
    count: z.number().int().min(1).max(50).default(5),
  }).strict(),
  output: z.object({ nextRuns: z.array(z.string()) }),
  annotations: { readOnlyHint: true, idempotentHint: true },
  permission: 'workflows:read',
  handler: (input) =>
    Promise.resolve({
      nextRuns: previewSchedule({
        config: { schedule: input.schedule, timezone: input.timezone },
        count: input.count,
      }),
    }),
  summarize: (o) => `next runs: ${o.nextRuns.join(', ')}`,
});
