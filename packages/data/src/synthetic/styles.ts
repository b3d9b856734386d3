import type { CaptionPhrasing } from './captions';
import type { Point } from './geometry';
import type { Rgb } from './raster';

/** How a sensor turns the world's colours into pixels. */
export interface SensorModel {
  /** Hue rotation in degrees (the CSS `hue-rotate` matrix). */
  hueRotate: number;
  /** 1 keeps the saturation, 0 makes grey (CSS `saturate`). */
  saturation: number;
  /** Contrast about mid-grey. */
  contrast: number;
  /** Overall gain. */
  brightness: number;
  /** Per-channel gain (white balance). */
  tint: Rgb;
  /** Exponent applied to 0..1 values (< 1 lifts the shadows). */
  gamma: number;
  /** Share of atmospheric haze mixed in, and its colour. */
  haze: number;
  hazeColour: Rgb;
  /** Standard deviation of per-pixel noise, 0..1 scale. */
  noise: number;
  /** Blur radius in pixels of a 256-pixel image (scaled with the image size). */
  blur: number;
}

/** One way of seeing and describing the synthetic world. */
export interface SyntheticStyle {
  name: string;
  sensor: SensorModel;
  /** Size of things relative to the image (> 1: a finer ground resolution). */
  objectScale: number;
  /** Shadow offset per unit of height, in scene units (where the sun is). */
  shadow: Point;
  phrasing: CaptionPhrasing;
}

/** The pretraining style: true colours, RSITMD-like sentences ("there are three white planes"). */
export const SOURCE_STYLE: SyntheticStyle = {
  name: 'source',
  sensor: { hueRotate: 0, saturation: 1, contrast: 1, brightness: 1, tint: [1, 1, 1], gamma: 1, haze: 0, hazeColour: [0.7, 0.7, 0.7], noise: 0.015, blur: 0 },
  objectScale: 1,
  shadow: { x: 0.012, y: 0.014 },
  phrasing: { habit: 'source', crossover: 0.1 },
};

/**
 * The shifted target style: another sensor (hues turned 35°, washed-out warm colours, haze,
 * softer and noisier), a 1.4× finer ground resolution, the sun on the other side, and captions
 * by other annotators (compass points, synonyms, "aerial view of ..." sentences).
 */
export const TARGET_STYLE: SyntheticStyle = {
  name: 'target',
  sensor: { hueRotate: 35, saturation: 0.6, contrast: 0.8, brightness: 1.08, tint: [1.06, 1, 0.86], gamma: 0.85, haze: 0.14, hazeColour: [0.78, 0.74, 0.66], noise: 0.03, blur: 0.8 },
  objectScale: 1.4,
  shadow: { x: -0.014, y: 0.01 },
  phrasing: { habit: 'target', crossover: 0.1 },
};

export const SYNTHETIC_STYLES: Readonly<Record<'source' | 'target', SyntheticStyle>> = { source: SOURCE_STYLE, target: TARGET_STYLE };

/**
 * A style part way from `from` (t = 0) to `to` (t = 1, default SOURCE_STYLE → TARGET_STYLE):
 * sensor numbers and object scale are interpolated, the sun switches sides at t = 0.5, and the
 * share of captions in the target habit goes from `from`'s to `to`'s. For tuning how far the
 * target drifts from the pretraining data.
 */
export function interpolateStyle(t: number, from: SyntheticStyle = SOURCE_STYLE, to: SyntheticStyle = TARGET_STYLE): SyntheticStyle {
  if (!(t >= 0 && t <= 1)) throw new RangeError(`interpolateStyle: t must lie in [0, 1], got ${t}`);
  const lerp = (a: number, b: number): number => a + (b - a) * t;
  const rgb = (a: readonly [number, number, number], b: readonly [number, number, number]): [number, number, number] => [lerp(a[0], b[0]), lerp(a[1], b[1]), lerp(a[2], b[2])];
  const targetShare = (style: SyntheticStyle): number => {
    const crossover = style.phrasing.crossover ?? 0.1;
    return style.phrasing.habit === 'target' ? 1 - crossover : crossover;
  };
  const share = lerp(targetShare(from), targetShare(to));
  const a = from.sensor;
  const b = to.sensor;
  return {
    name: `${from.name}-${to.name}-${t}`,
    sensor: {
      hueRotate: lerp(a.hueRotate, b.hueRotate),
      saturation: lerp(a.saturation, b.saturation),
      contrast: lerp(a.contrast, b.contrast),
      brightness: lerp(a.brightness, b.brightness),
      tint: rgb(a.tint, b.tint),
      gamma: lerp(a.gamma, b.gamma),
      haze: lerp(a.haze, b.haze),
      hazeColour: rgb(a.hazeColour, b.hazeColour),
      noise: lerp(a.noise, b.noise),
      blur: lerp(a.blur, b.blur),
    },
    objectScale: lerp(from.objectScale, to.objectScale),
    shadow: t < 0.5 ? from.shadow : to.shadow,
    phrasing: share >= 0.5 ? { habit: 'target', crossover: 1 - share } : { habit: 'source', crossover: share },
  };
}
