/** Thrown when an image cannot be decoded: missing, corrupt, unsupported or too large. */
export class ImageDecodeError extends Error {
  /** The file path, or the name given to an in-memory image. */
  readonly source: string;
  /** What is wrong with it (the message without the source). */
  readonly reason: string;

  constructor(source: string, reason: string, options?: { cause?: unknown }) {
    super(`${source}: ${reason}`, options);
    this.name = 'ImageDecodeError';
    this.source = source;
    this.reason = reason;
  }
}
