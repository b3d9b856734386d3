import type { FastifyRequest } from 'fastify';
import { readImageUpload, type ImageFormSchema } from './read-upload';
import type { RouteContext } from './route-context';

/**
 * The embedding of the image a multipart request uploads (the field `image` of `form`), within
 * the upload and pixel limits: what image → images, image → captions and /api/embed/image share.
 */
export async function embedUpload(request: FastifyRequest, context: Pick<RouteContext, 'encoder' | 'options'>, form: ImageFormSchema): Promise<Float32Array> {
  const { encoder, options } = context;
  const upload = await readImageUpload(request, options.limits.uploadBytes, form);
  const prepared = await encoder.prepareImage(upload.bytes, { name: 'upload', maxPixels: options.limits.maxImagePixels });
  const [vector] = await encoder.encodeImages([prepared]);
  return vector as Float32Array;
}
