import { z } from 'zod';

/** POST /api/checkout body, as JSON or as an HTML form (where every value arrives as a string). */
export const checkoutRequestSchema = z
  .object({
    publication: z.string().min(1).max(63),
    amount: z
      .union([
        z.number(),
        z
          .string()
          .trim()
          .regex(/^-?\d+(\.\d+)?$/, 'must be a number')
          .transform(Number),
      ])
      .optional(),
    /** From the no-JavaScript donate form: an amount typed by a person in major units ("12", "12,50"). */
    other_amount: z.string().trim().max(20).optional(),
    currency: z
      .string()
      .trim()
      .toLowerCase()
      .regex(/^[a-z]{3}$/, 'must be a three-letter currency code'),
    interval: z.enum(['once', 'month', 'year'], 'must be one of once, month, year'),
    article_url: z.string().trim().min(1).max(490, 'must be at most 490 characters'),
    locale: z
      .string()
      .trim()
      .regex(/^[A-Z]{2,3}(-[A-Z0-9]{2,8})*$/i, 'must be a language tag such as en or it')
      .optional(),
    variant: z
      .string()
      .trim()
      .regex(/^[\w.-]{1,64}$/, 'must be 1-64 letters, digits, _ . or -')
      .optional(),
    email: z.email('must be an e-mail address').max(254).optional(),
    /** The reader took the widget's "make it monthly" offer: recorded in the session's metadata. */
    upsell: z.literal('accepted', 'must be "accepted" when given').optional(),
    /** The reader adds what the fees cost (a checkbox in a form sends "true"). */
    cover_fees: z
      .union([z.boolean(), z.enum(['true', 'false', 'on']).transform((value) => value !== 'false')], 'must be true or false')
      .optional(),
  })
  .strict();

export type CheckoutInput = z.output<typeof checkoutRequestSchema>;
export type CheckoutRequest = Omit<CheckoutInput, 'amount' | 'other_amount'> & { amount: number };
