// The Setup Assistant's sessions as the API sees them: a session (its step state and status),
// the message a person sends (text, a choice, a filled form, or a step to redo) and the events
// of the answers, numbered per session. Events are open objects with a `type` (text_delta,
// tool_activity, choices, form, step, handback, mapping_review, test_cases, checklist, user, turn_error,
// done): the assistant adds kinds without an API change, and clients render the ones they know.
import { z } from 'zod';
import { IdSchema, LimitSchema } from './common.ts';

export const ASSISTANT_SESSION_STATUSES = ['idle', 'running', 'complete'] as const;
export type AssistantSessionStatus = (typeof ASSISTANT_SESSION_STATUSES)[number];

export const SessionIdParamsSchema = z.object({ sessionId: IdSchema }).strict();

export const AssistantMessageSchema = z
  .object({
    text: z.string().max(8000).optional().describe('What the person typed'),
    choice: z.string().max(200).optional().describe('An option of the last choices event'),
    form: z.string().max(200).optional().describe('The id of the form being answered'),
    values: z
      .record(z.string().max(200), z.string().max(8000))
      .optional()
      .describe('The form fields; secret ones are used once and never stored'),
    redo: z
      .enum(['use_cases', 'connectors', 'integration', 'embed', 'live'])
      .optional()
      .describe('Go back to a step and do it again'),
  })
  .strict()
  .refine(
    (m) =>
      [m.text, m.choice, m.form, m.redo].filter((v) => v !== undefined).length === 1 &&
      (m.form === undefined) === (m.values === undefined),
    { message: 'send exactly one of text, choice, form with values, or redo' },
  );
export type AssistantMessage = z.infer<typeof AssistantMessageSchema>;

export const AssistantEventSchema = z.object({
  seq: z.number().int(),
  event: z.looseObject({ type: z.string() }),
  createdAt: z.string(),
});
export type AssistantEvent = z.infer<typeof AssistantEventSchema>;

export const AssistantSessionSchema = z.object({
  id: z.string(),
  status: z.enum(ASSISTANT_SESSION_STATUSES),
  step: z.string().nullable(),
  lastSeq: z.number().int(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type AssistantSession = z.infer<typeof AssistantSessionSchema>;

export const AssistantSessionDetailSchema = AssistantSessionSchema.extend({
  state: z.unknown(),
  events: z.array(AssistantEventSchema),
});
export type AssistantSessionDetail = z.infer<typeof AssistantSessionDetailSchema>;

export const ListAssistantSessionsQuerySchema = z.object({ limit: LimitSchema }).strict();
