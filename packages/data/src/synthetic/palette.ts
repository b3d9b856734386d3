import type { Rgb } from './raster';

/** Colour names captions use, with the true (world) colour each stands for. */
export const NAMED_COLOURS = {
  red: [0.72, 0.2, 0.16],
  orange: [0.88, 0.5, 0.18],
  yellow: [0.88, 0.78, 0.3],
  green: [0.3, 0.58, 0.22],
  'dark green': [0.1, 0.3, 0.12],
  blue: [0.18, 0.36, 0.72],
  white: [0.93, 0.93, 0.91],
  grey: [0.52, 0.52, 0.54],
  black: [0.1, 0.1, 0.11],
  brown: [0.5, 0.34, 0.2],
} as const satisfies Record<string, Rgb>;

export type ColourName = keyof typeof NAMED_COLOURS;

/** Materials of the ground and of things that captions do not name by colour. */
export const MATERIALS = {
  grass: [0.36, 0.54, 0.24],
  meadow: [0.46, 0.6, 0.3],
  soil: [0.56, 0.44, 0.31],
  sand: [0.87, 0.8, 0.6],
  asphalt: [0.29, 0.29, 0.31],
  concrete: [0.7, 0.7, 0.67],
  water: [0.14, 0.3, 0.52],
  deepWater: [0.08, 0.2, 0.4],
  foam: [0.9, 0.93, 0.95],
  shadow: [0.45, 0.47, 0.55],
  infield: [0.7, 0.45, 0.28],
} as const satisfies Record<string, Rgb>;

export function colour(name: ColourName): Rgb {
  return NAMED_COLOURS[name];
}

/** Lighter or darker version of a colour (factor > 1 lightens). */
export function shade(rgb: Rgb, factor: number): Rgb {
  return [rgb[0] * factor, rgb[1] * factor, rgb[2] * factor];
}

/** Linear mix of two colours. */
export function mix(a: Rgb, b: Rgb, t: number): Rgb {
  return [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t];
}
