/** Where in which annotation file a problem sits; `entry` and `field` are absent for file-level problems. */
export interface AnnotationLocation {
  file: string;
  entry?: number;
  field?: string;
}

/** A malformed annotation file or entry; the message names the file, the entry index and the field. */
export class AnnotationError extends Error {
  override readonly name = 'AnnotationError';
  readonly file: string;
  readonly entry: number | undefined;
  readonly field: string | undefined;

  constructor(location: AnnotationLocation, problem: string) {
    const where = [location.file, location.entry === undefined ? undefined : `entry ${location.entry}`, location.field === undefined ? undefined : `field "${location.field}"`]
      .filter((part) => part !== undefined)
      .join(', ');
    super(`${where}: ${problem}`);
    this.file = location.file;
    this.entry = location.entry;
    this.field = location.field;
  }
}

/** `caption[2]`, `image_id`: a zod issue path as people write it. */
export function fieldName(path: readonly (string | number)[]): string {
  return path.map((part, i) => (typeof part === 'number' ? `[${part}]` : i === 0 ? part : `.${part}`)).join('');
}
