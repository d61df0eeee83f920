/**
 * The widget's onboarding chat: a few questions to the customer (what to sync, which fields,
 * how often) whose answers become the settings their workflows get on activation — a route
 * filter for app events, the chosen fields, and the schedule. Like the Setup Assistant's
 * offline planner it needs no model: each turn is a step of a small state machine over the
 * widget's configured choices, and free text is matched to those choices. The state lives in
 * `widget_settings.answers`, so the conversation resumes when the widget is opened again.
 */
import * as embedRepo from '../../db/repositories/embed.repo.ts';
import type { CustomerSettings, OnboardingReply } from '../../domain/embed.ts';
import { z } from 'zod';
import { ScheduleSchema, type Schedule } from '../../domain/trigger.ts';
import { requirePermission } from '../../domain/tenant.ts';
import { AppError } from '../../errors.ts';
import type { EmbedSession, SessionDeps } from './session.service.ts';

const AnswersSchema = z.object({
  step: z.enum(['what', 'fields', 'when', 'done']).optional(),
  filterLabel: z.string().optional(),
  filter: z.string().optional(),
  fields: z.array(z.string()).optional(),
  schedule: ScheduleSchema.optional(),
  scheduleLabel: z.string().optional(),
});
type Answers = z.infer<typeof AnswersSchema>;
type Step = NonNullable<Answers['step']>;

export const SCHEDULE_CHOICES: readonly { label: string; words: RegExp; schedule: Schedule }[] = [
  {
    label: 'Every 15 minutes',
    words: /15|quarter|often|minute/i,
    schedule: { preset: 'interval', every: 15, unit: 'minutes' },
  },
  {
    label: 'Every hour',
    words: /hour/i,
    schedule: { preset: 'interval', every: 1, unit: 'hours' },
  },
  {
    label: 'Once a day',
    words: /day|daily|night/i,
    schedule: { preset: 'daily', time: '06:00' },
  },
];

function pick(text: string, options: readonly string[]): string | undefined {
  const said = text.trim().toLowerCase();
  if (!said) return undefined;
  return (
    options.find((o) => o.toLowerCase() === said) ??
    options.find((o) => said.includes(o.toLowerCase()) || o.toLowerCase().includes(said))
  );
}

function listOf(items: readonly string[]): string {
  return items.length < 2
    ? items.join('')
    : `${items.slice(0, -1).join(', ')} and ${items.at(-1) ?? ''}`;
}

function settingsOf(answers: Answers): CustomerSettings {
  return {
    ...(answers.filter !== undefined && { filter: answers.filter }),
    ...(answers.filterLabel !== undefined && { filterLabel: answers.filterLabel }),
    ...(answers.fields !== undefined && { fields: answers.fields }),
    ...(answers.schedule !== undefined && { schedule: answers.schedule }),
  };
}

/** One turn: `text` is what the customer typed or chose; empty (re)starts the conversation. */
export async function onboardingTurn({
  deps,
  session,
  text,
}: {
  deps: SessionDeps;
  session: EmbedSession;
  text: string;
}): Promise<OnboardingReply> {
  requirePermission(session.tenant, 'workflows:update');
  const config = session.widget.onboarding;
  if (!config.enabled) throw new AppError('not_found', 'this widget has no onboarding');
  const key = { widgetId: session.widget.id, customerId: session.customerId };
  const stored = await deps.db.tenant(session.tenant, (sql) => embedRepo.findSettings(sql, key));
  let answers: Answers = text.trim() === '' ? {} : AnswersSchema.parse(stored?.answers ?? {});
  let step: Step = answers.step ?? 'what';
  let preface = '';

  const filterLabels = config.filters.map((f) => f.label);
  if (text.trim() !== '') {
    if (step === 'what') {
      const chosen = pick(text, filterLabels);
      if (chosen === undefined) preface = `Sorry, I did not catch that. `;
      else {
        const filter = config.filters.find((f) => f.label === chosen)?.filter;
        answers = { ...answers, filterLabel: chosen, ...(filter !== undefined && { filter }) };
        step = 'fields';
      }
    } else if (step === 'fields') {
      const said = text.split(/[,;\n]|\band\b/).map((s) => s.trim());
      const fields = /\b(all|every|everything)\b/i.test(text)
        ? [...config.fields]
        : config.fields.filter((f) => said.some((s) => s.toLowerCase() === f.toLowerCase()));
      if (fields.length === 0) preface = `Sorry, I did not recognise those fields. `;
      else {
        answers = { ...answers, fields };
        step = 'when';
      }
    } else if (step === 'when') {
      const chosen = SCHEDULE_CHOICES.find((c) => c.label === text.trim() || c.words.test(text));
      if (chosen === undefined) preface = `Sorry, I did not catch how often. `;
      else {
        answers = { ...answers, schedule: chosen.schedule, scheduleLabel: chosen.label };
        step = 'done';
      }
    }
  }
  // Steps with nothing to ask are skipped.
  if (step === 'what' && filterLabels.length === 0) step = 'fields';
  if (step === 'fields' && config.fields.length === 0) step = 'when';
  answers = { ...answers, step };
  const settings = settingsOf(answers);
  await deps.db.tenant(session.tenant, (sql) =>
    embedRepo.putSettings(sql, {
      orgId: session.tenant.orgId,
      ...key,
      answers: answers,
      settings: settings,
    }),
  );
  switch (step) {
    case 'what':
      return {
        say: `${preface}What would you like us to sync?`,
        choices: filterLabels,
        multiple: false,
        done: false,
        settings,
      };
    case 'fields':
      return {
        say: `${preface}Which fields matter to you? Pick any, or say "all".`,
        choices: [...config.fields],
        multiple: true,
        done: false,
        settings,
      };
    case 'when':
      return {
        say: `${preface}How often should we sync?`,
        choices: SCHEDULE_CHOICES.map((c) => c.label),
        multiple: false,
        done: false,
        settings,
      };
    case 'done':
      return {
        say: `All set. We will sync ${answers.filterLabel?.toLowerCase() ?? 'your records'}${
          answers.fields ? ` with ${listOf(answers.fields)}` : ''
        }${answers.scheduleLabel ? `, ${answers.scheduleLabel.toLowerCase()}` : ''}. Now connect your account below.`,
        choices: [],
        multiple: false,
        done: true,
        settings,
      };
  }
}
