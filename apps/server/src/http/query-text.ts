import { CaptionError, normalizeCaption } from '@harma/data';
import { ApiError } from '../errors';

/**
 * A text query as the model saw its captions in training and evaluation: the paper's caption
 * normalisation (lower case, punctuation removed, at most 30 words).
 */
export function normalizeQuery(text: string, field: string): string {
  try {
    return normalizeCaption(text);
  } catch (error) {
    if (error instanceof CaptionError) throw new ApiError(400, 'invalid_request', `${field}: has no words left after normalisation (punctuation is removed)`, { field });
    throw error;
  }
}
