import { SettingError } from './setting-error';

/**
 * An environment variable's value when it is one of `choices`, undefined when it is unset or
 * empty, and otherwise a `SettingError` naming the variable, the value and the choices
 * (`HARMA_PRODUCTS=mkl is not a product engine; use one of onnxruntime, xnnpack`).
 */
export function environmentChoice<Choice extends string>(
  variable: string,
  value: string | undefined,
  choices: readonly Choice[],
  options: { noun: string; note?: string },
): Choice | undefined {
  if (value === undefined || value === '') return undefined;
  if (!(choices as readonly string[]).includes(value)) {
    throw new SettingError(`${variable}=${value} is not ${options.noun}; use one of ${choices.join(', ')}${options.note ?? ''}`);
  }
  return value as Choice;
}
