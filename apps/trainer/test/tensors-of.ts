import { loadSafetensors } from '@harma/core';

/** Every tensor of a safetensors file as plain numbers, by name: for comparing two runs' files exactly. */
export async function tensorsOf(file: string): Promise<Map<string, number[]>> {
  const { tensors } = await loadSafetensors(file);
  const values = new Map([...tensors].map(([name, tensor]) => [name, Array.from(tensor.dataSync())]));
  for (const tensor of tensors.values()) tensor.dispose();
  return values;
}
