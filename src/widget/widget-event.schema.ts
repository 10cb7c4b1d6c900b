import { z } from 'zod';

/** POST /api/events: one impression or click beacon from the widget. */
export const widgetEventSchema = z
  .object({
    publication: z.string().min(1).max(63),
    type: z.enum(['impression', 'click']),
    article_url: z.string().max(490),
    variant: z
      .string()
      .regex(/^[\w.-]{1,64}$/)
      .optional(),
  })
  .strict();

export type WidgetEvent = z.infer<typeof widgetEventSchema>;
