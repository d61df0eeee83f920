import { defineTool } from '../define-tool.ts';
import {
  SchedulePreviewRequestSchema,
  SchedulePreviewSchema,
} from '../../server/domain/trigger.ts';
import { previewSchedule } from '../../server/modules/triggers/triggers.service.ts';

export default defineTool({
  name: 'preview_schedule',
  title: 'Preview schedule',
  description: 'The next runs of a schedule, to check it before a scheduler trigger.',
  input: SchedulePreviewRequestSchema.strict(),
  output: SchedulePreviewSchema,
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
