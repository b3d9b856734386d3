import { z } from 'zod';

const imagePath = z.string().min(1, 'must be a non-empty image path');
const label = z.number().int().nonnegative().optional();
const labelName = z.string().optional();

/** One caption of a training file (HarMA/PIR layout: one entry per caption). */
export const trainEntrySchema = z
  .object({
    caption: z.string(),
    image: imagePath,
    image_id: z.union([z.number().int(), z.string().min(1)], {
      errorMap: (_issue, context) => ({ message: context.data === undefined ? 'Required' : 'must be an integer or a non-empty string' }),
    }),
    label,
    label_name: labelName,
  })
  .passthrough();

/** One image of an evaluation file (one entry per image, its captions in a list). */
export const evalEntrySchema = z
  .object({
    image: imagePath,
    caption: z.array(z.string()).min(1, 'must list at least one caption'),
    label,
    label_name: labelName,
  })
  .passthrough();

export type TrainEntry = z.infer<typeof trainEntrySchema>;
export type EvalEntry = z.infer<typeof evalEntrySchema>;
