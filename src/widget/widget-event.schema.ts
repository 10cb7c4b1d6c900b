import { z } from 'zod';
import { BEACON_TYPES } from './widget-counter.repository.js';

/** POST /api/events: one beacon from the widget (an impression, a click, the monthly offer shown or taken). */
export const widgetEventSchema = z
  .object({
    publication: z.string().min(1).max(63),
    type: z.enum(BEACON_TYPES),
    article_url: z.string().max(490),
    variant: z
      .string()
      .regex(/^[\w.-]{1,64}$/)
      .optional(),
  })
  .strict();

export type WidgetEvent = z.infer<typeof widgetEventSchema>;
