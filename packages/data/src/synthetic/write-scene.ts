import { writeFile } from 'node:fs/promises';
import sharp from 'sharp';
import type { RgbImage } from '../images/rgb-image';
import { renderSyntheticScene } from './render-scene';
import type { SceneClass } from './scene-classes';
import type { SyntheticStyle } from './styles';

export type SyntheticImageFormat = 'png' | 'tif' | 'jpg';

/** One image of a synthetic data set to draw and write (plain data: it crosses to worker threads). */
export interface SceneTask {
  seed: string;
  sceneClass: SceneClass;
  style: SyntheticStyle;
  size: number;
  format: SyntheticImageFormat;
  /** Absolute path of the image file to write. */
  file: string;
}

/** Encode an RGB image as PNG (zlib level 3: as small as level 6 on noisy pixels, faster), TIFF (LZW) or JPEG (quality 92). */
export async function encodeImage(image: RgbImage, format: SyntheticImageFormat): Promise<Buffer> {
  const pipeline = sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } });
  if (format === 'png') return pipeline.png({ compressionLevel: 3 }).toBuffer();
  if (format === 'tif') return pipeline.tiff({ compression: 'lzw' }).toBuffer();
  return pipeline.jpeg({ quality: 92 }).toBuffer();
}

/** Draw one scene, write its image file, return its captions. */
export async function writeScene(task: SceneTask): Promise<string[]> {
  const scene = renderSyntheticScene({ seed: task.seed, sceneClass: task.sceneClass, style: task.style, size: task.size });
  await writeFile(task.file, await encodeImage(scene.image, task.format));
  return scene.captions;
}
