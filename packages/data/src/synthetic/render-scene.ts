import { SeededRandom } from '@harma/core';
import type { RgbImage } from '../images/rgb-image';
import { writeCaptions } from './captions';
import type { Mention } from './mentions';
import { Canvas } from './raster';
import { SCENE_CLASSES, SCENE_PAINTERS, type SceneClass } from './scene-classes';
import { exposeImage } from './sensor';
import type { SyntheticStyle } from './styles';

export interface RenderSceneOptions {
  /** Seed of this one scene; the same seed, class, style and size give the same pixels and captions. */
  seed: string | number;
  sceneClass: SceneClass;
  style: SyntheticStyle;
  /** Side in pixels. */
  size: number;
  /** Captions per image (default 5). */
  captions?: number;
}

export interface RenderedScene {
  image: RgbImage;
  sceneClass: SceneClass;
  /** Index of the class in SCENE_CLASSES. */
  label: number;
  /** The facts the captions were written from. */
  mentions: Mention[];
  captions: string[];
}

/** Paint one scene of a class, expose it through the style's sensor and caption it. */
export function renderSyntheticScene(options: RenderSceneOptions): RenderedScene {
  const { sceneClass, style, size } = options;
  if (!Number.isInteger(size) || size < 16) throw new RangeError(`image size must be an integer of at least 16 pixels, got ${size}`);
  const root = new SeededRandom(String(options.seed));
  // Separate streams, so that wording choices never move a pixel and vice versa.
  const paintRng = root.derive('paint');
  const canvas = new Canvas(size, paintRng.derive('texture'), style.objectScale);
  const sun = paintRng.uniform(0.8, 1.2);
  const mentions = SCENE_PAINTERS[sceneClass]({
    canvas,
    rng: paintRng,
    scale: style.objectScale,
    shadow: { x: style.shadow.x * sun, y: style.shadow.y * sun },
  });
  const image = exposeImage(canvas.pixels, size, style.sensor, root.derive('sensor'), paintRng.uniform(0.94, 1.06));
  const captions = writeCaptions(sceneClass, mentions, root.derive('captions'), style.phrasing, options.captions ?? 5);
  return { image, sceneClass, label: SCENE_CLASSES.indexOf(sceneClass), mentions, captions };
}
