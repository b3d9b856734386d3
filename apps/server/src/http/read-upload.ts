import type { FastifyRequest } from 'fastify';
import type { z } from 'zod/v4';
import { ApiError } from '../errors';
import { parseRequest } from './validate';

/** An image file received as multipart/form-data, with the form's text fields. */
export interface ImageUpload {
  bytes: Uint8Array;
  fields: Record<string, string>;
}

/** The schema of an upload form, as the route declares it: the file field `image` and the allowed text fields. */
export type ImageFormSchema = z.ZodObject<{ image: z.ZodFile } & z.core.$ZodShape, z.core.$strict>;

/**
 * Read a multipart/form-data request holding exactly one file field `image` (at most `maxBytes`)
 * and the text fields `form` declares besides it (each at most 2 KiB, then checked by `form`).
 * Anything else is a 4xx.
 */
export async function readImageUpload(request: FastifyRequest, maxBytes: number, form: ImageFormSchema): Promise<ImageUpload> {
  if (!request.isMultipart()) {
    throw new ApiError(415, 'unsupported_media_type', 'expected a multipart/form-data body with the image in a file field named `image`');
  }
  const allowedFields = Object.keys(form.shape).filter((name) => name !== 'image');
  let upload: ImageUpload;
  try {
    upload = await readParts(request, maxBytes, allowedFields);
  } catch (error) {
    // Busboy reports a malformed body with plain errors; they are the client's, not the server's.
    if (error instanceof ApiError || (typeof (error as { statusCode?: unknown }).statusCode === 'number')) throw error;
    throw new ApiError(400, 'invalid_request', `malformed multipart body (${error instanceof Error ? error.message : String(error)})`);
  }
  parseRequest(form.omit({ image: true }), upload.fields, 'form');
  return upload;
}

async function readParts(request: FastifyRequest, maxBytes: number, allowedFields: readonly string[]): Promise<ImageUpload> {
  const fields: Record<string, string> = {};
  let bytes: Uint8Array | undefined;
  // One part more of each kind than allowed, so that extra parts get the clear 400 below rather than busboy's limit error.
  const parts = request.parts({ limits: { fileSize: maxBytes, files: 2, fields: allowedFields.length + 1, parts: allowedFields.length + 3, fieldSize: 2048, fieldNameSize: 100, headerPairs: 20 } });
  for await (const part of parts) {
    if (part.type === 'file') {
      if (part.fieldname !== 'image') {
        part.file.resume();
        throw new ApiError(400, 'invalid_request', `form.${part.fieldname}: unexpected file field; send the image in a file field named \`image\``);
      }
      if (bytes !== undefined) {
        part.file.resume();
        throw new ApiError(400, 'invalid_request', 'form.image: send one image per request');
      }
      bytes = await part.toBuffer();
    } else {
      if (!allowedFields.includes(part.fieldname)) {
        throw new ApiError(400, 'invalid_request', `form.${part.fieldname}: unknown field${allowedFields.length > 0 ? ` (allowed: image, ${allowedFields.join(', ')})` : ' (only the file field `image` is allowed)'}`);
      }
      if (typeof part.value !== 'string') throw new ApiError(400, 'invalid_request', `form.${part.fieldname}: must be text`);
      if (part.valueTruncated) throw new ApiError(413, 'body_too_large', `form.${part.fieldname}: longer than 2048 bytes`);
      fields[part.fieldname] = part.value;
    }
  }
  if (bytes === undefined) throw new ApiError(400, 'invalid_request', 'form.image: required; send the image in a multipart file field named `image`');
  if (bytes.byteLength === 0) throw new ApiError(400, 'invalid_image', 'form.image: the file is empty');
  return { bytes, fields };
}
