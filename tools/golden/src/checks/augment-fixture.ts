import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { readSafetensors, type HostTensor } from '@harma/core';

const fill = z.tuple([z.number().int().min(0).max(255), z.number().int().min(0).max(255), z.number().int().min(0).max(255)]);
const size = z.number().int().positive();

/** A resized crop (+ its `.hflip`) at a fixed box: torchvision `resized_crop` of a PIL image, bicubic. */
const cropCaseSchema = z
  .object({
    key: z.string().min(1),
    op: z.literal('RandomResizedCrop'),
    top: z.number().int().nonnegative(),
    left: z.number().int().nonnegative(),
    height: size,
    width: size,
    size,
    interpolation: z.literal('bicubic'),
  })
  .strict();

/** One RandAugment operation at a level, with the arguments the official `level_to_args` gave it. */
const opCaseSchema = z
  .object({
    key: z.string().min(1),
    op: z.string().min(1),
    level: z.number(),
    args: z.union([z.tuple([]), z.tuple([z.number()]), z.tuple([z.number(), fill])]),
  })
  .strict();

const casesSchema = z
  .object({
    images: z.string(),
    level: z.number(),
    max_level: z.number(),
    replace_value: fill,
    cases: z.array(z.union([cropCaseSchema, opCaseSchema])).min(1),
  })
  .strict();

export type AugmentCropCase = z.infer<typeof cropCaseSchema>;
export type AugmentOpCase = z.infer<typeof opCaseSchema>;
export type AugmentCase = AugmentCropCase | AugmentOpCase;

/** The augment fixture: cases.json and the uint8 tensors of augment.safetensors ([N, H, W, 3], RGB). */
export interface AugmentFixture {
  dir: string;
  cases: AugmentCase[];
  /** Every tensor of augment.safetensors by name: `images` and the expected output of each case. */
  tensors: Map<string, HostTensor>;
}

/** True when `dir` is an augment fixture folder (cases.json beside augment.safetensors). */
export function isAugmentFixture(dir: string): boolean {
  return existsSync(path.join(dir, 'augment.safetensors')) && existsSync(path.join(dir, 'cases.json'));
}

/** Read and validate an augment fixture; a malformed cases.json names the field. */
export async function readAugmentFixture(dir: string): Promise<AugmentFixture> {
  const file = path.join(dir, 'cases.json');
  const parsed = casesSchema.safeParse(JSON.parse(await fs.readFile(file, 'utf8')));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${file}: ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`);
  }
  const { tensors } = await readSafetensors(path.join(dir, 'augment.safetensors'));
  for (const [name, tensor] of tensors) {
    if (tensor.dtype !== 'U8' || tensor.shape.length !== 4 || tensor.shape[3] !== 3) {
      throw new Error(`${dir}: augment.safetensors '${name}' must be U8 [N, H, W, 3], got ${tensor.dtype} [${tensor.shape.join(', ')}]`);
    }
  }
  return { dir, cases: parsed.data.cases, tensors };
}
