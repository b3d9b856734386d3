/**
 * A weight file that cannot be read or does not hold what it should: truncated or corrupt
 * archives, refused pickle content, unknown layouts, bad tensors. The message names the file and,
 * when one is at fault, the tensor.
 */
export class WeightFileError extends Error {
  constructor(
    readonly source: string,
    message: string,
    readonly tensor?: string,
  ) {
    super(`${source}: ${tensor !== undefined ? `tensor '${tensor}': ` : ''}${message}`);
    this.name = 'WeightFileError';
  }
}
