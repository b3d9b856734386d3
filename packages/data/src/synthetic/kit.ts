import type { SeededRandom } from '@harma/core';
import { circle, ellipse, polyline, rect, translate, union, type Point, type Shape } from './geometry';
import type { Direction, Mention } from './mentions';
import { MATERIALS, shade, type ColourName } from './palette';
import type { Canvas, Paint, Rgb } from './raster';

/** What a scene painter gets: the canvas, its random stream and the style's ground resolution. */
export interface SceneContext {
  canvas: Canvas;
  rng: SeededRandom;
  /** Object size multiplier (> 1: a finer ground resolution, things look bigger). */
  scale: number;
  /** Shadow offset per unit of object height, in scene units (where the sun is). */
  shadow: Point;
}

/** Paints one scene class and returns the facts its captions may state. */
export type ScenePainter = (context: SceneContext) => Mention[];

export function pick<T>(rng: SeededRandom, items: readonly T[]): T {
  return items[rng.int(items.length)] as T;
}

export function chance(rng: SeededRandom, probability: number): boolean {
  return rng.next() < probability;
}

/** Integer in [low, high]. */
export function between(rng: SeededRandom, low: number, high: number): number {
  return low + rng.int(high - low + 1);
}

/** Paint a shape with its shadow first (`height` in multiples of the style's shadow offset). */
export function withShadow(context: SceneContext, shape: Shape, paint: Paint, height = 1): void {
  const { dx, dy } = { dx: context.shadow.x * height * context.scale, dy: context.shadow.y * height * context.scale };
  context.canvas.paint(translate(shape, dx, dy), { colour: MATERIALS.shadow, blend: 'multiply', grain: 0, mottle: 0, alpha: 0.9 });
  context.canvas.paint(shape, paint);
}

/** A building with a gable roof: shadow, roof, darker half along the ridge. */
export function building(context: SceneContext, cx: number, cy: number, width: number, height: number, angle: number, roof: Rgb, flat = false): void {
  const body = rect(cx, cy, width, height, angle);
  withShadow(context, body, { colour: roof, grain: 0.03, mottle: 0.03 }, flat ? 1.4 : 1);
  if (flat) {
    context.canvas.paint(rect(cx, cy, width * 0.8, height * 0.8, angle), { colour: shade(roof, 0.92), grain: 0.02, mottle: 0.02 });
    return;
  }
  const ox = (-Math.sin(angle) * height) / 4;
  const oy = (Math.cos(angle) * height) / 4;
  context.canvas.paint(rect(cx + ox, cy + oy, width, height / 2, angle), { colour: [0.82, 0.82, 0.82], blend: 'multiply', grain: 0, mottle: 0 });
}

/** A tree crown with its shadow and, unless `lit` is false (dense forest), a lit side. */
export function tree(context: SceneContext, x: number, y: number, radius: number, crown: Rgb, lit = true): void {
  withShadow(context, circle(x, y, radius), { colour: crown, grain: 0.12, mottle: 0.05 }, 0.8);
  if (lit) context.canvas.paint(circle(x - radius * 0.3, y - radius * 0.3, radius * 0.45), { colour: shade(crown, 1.25), grain: 0.1, mottle: 0, alpha: 0.6 });
}

export function car(context: SceneContext, x: number, y: number, angle: number, body: Rgb): void {
  const s = context.scale;
  withShadow(context, rect(x, y, 0.034 * s, 0.017 * s, angle), { colour: body, grain: 0.02, mottle: 0 }, 0.25);
  context.canvas.paint(rect(x, y, 0.012 * s, 0.014 * s, angle), { colour: shade(body, 0.75), grain: 0, mottle: 0 });
}

/** A plane seen from above: fuselage, swept wings and tail, `span` across the wings. */
export function plane(context: SceneContext, x: number, y: number, angle: number, span: number, body: Rgb): void {
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  const at = (along: number): [number, number] => [x + cos * along, y + sin * along];
  const [wx, wy] = at(0.02 * span / 0.16);
  const [tx, ty] = at(-0.4 * span);
  const shape = union(
    rect(x, y, span * 0.95, span * 0.12, angle),
    rect(wx, wy, span * 0.16, span, angle),
    rect(tx, ty, span * 0.1, span * 0.38, angle),
  );
  withShadow(context, shape, { colour: body, grain: 0.015, mottle: 0 }, 0.7);
}

/** A boat: a pointed hull with a lighter deck. */
export function boat(context: SceneContext, x: number, y: number, angle: number, length: number, hull: Rgb): void {
  withShadow(context, ellipse(x, y, length / 2, length / 6.5, angle), { colour: hull, grain: 0.02, mottle: 0 }, 0.35);
  context.canvas.paint(ellipse(x - (Math.cos(angle) * length) / 10, y - (Math.sin(angle) * length) / 10, length / 5, length / 12, angle), { colour: shade(hull, 1.2), grain: 0, mottle: 0 });
  // Wake behind the stern.
  context.canvas.paint(ellipse(x - Math.cos(angle) * length * 0.75, y - Math.sin(angle) * length * 0.75, length / 3, length / 14, angle), { colour: MATERIALS.foam, grain: 0.2, mottle: 0, alpha: 0.35 });
}

/** A round storage tank with its roof ring. */
export function tank(context: SceneContext, x: number, y: number, radius: number, body: Rgb): void {
  withShadow(context, circle(x, y, radius), { colour: body, grain: 0.02, mottle: 0.02 }, 1.2);
  context.canvas.paint(circle(x, y, radius * 0.72), { colour: shade(body, 0.9), grain: 0.02, mottle: 0 });
  context.canvas.paint(circle(x, y, radius * 0.12), { colour: shade(body, 0.7), grain: 0, mottle: 0 });
}

/**
 * Up to `count` points in the box [x0, x1] × [y0, y1] at least `spacing` apart and, if given,
 * accepted by `allowed`; fewer when they do not fit (callers caption what was placed).
 */
export function scatter(
  rng: SeededRandom,
  count: number,
  spacing: number,
  box: readonly [number, number, number, number],
  allowed: (p: Point) => boolean = () => true,
  existing: readonly Point[] = [],
): Point[] {
  const [x0, y0, x1, y1] = box;
  const placed: Point[] = [];
  for (let attempt = 0; attempt < count * 60 && placed.length < count; attempt++) {
    const p = { x: x0 + rng.next() * (x1 - x0), y: y0 + rng.next() * (y1 - y0) };
    if (!allowed(p)) continue;
    if ([...existing, ...placed].some((q) => Math.hypot(p.x - q.x, p.y - q.y) < spacing)) continue;
    placed.push(p);
  }
  return placed;
}

/**
 * A path across the image through (0.5, 0.5) shifted by `offset` sideways: `vertical` runs top to
 * bottom, `horizontal` left to right, `diagonal` corner to corner; `wobble` makes it meander.
 */
export function edgePath(rng: SeededRandom, direction: Direction, wobble: number, offset = 0, spread = 0.12): Point[] {
  const mirrored = chance(rng, 0.5);
  const [ux, uy] = direction === 'vertical' ? [0, 1] : direction === 'horizontal' ? [1, 0] : [Math.SQRT1_2, mirrored ? -Math.SQRT1_2 : Math.SQRT1_2];
  const [vx, vy] = [-uy, ux];
  const length = direction === 'diagonal' ? 1.6 : 1.2;
  const start = offset + (rng.next() * 2 - 1) * spread;
  const end = offset + (rng.next() * 2 - 1) * spread;
  const phase = rng.next() * Math.PI * 2;
  const waves = 1 + rng.next() * 1.5;
  const points: Point[] = [];
  const steps = 24;
  for (let i = 0; i <= steps; i++) {
    const t = i / steps;
    const along = (t - 0.5) * length;
    const across = start + (end - start) * t + wobble * Math.sin(phase + t * waves * Math.PI * 2);
    points.push({ x: 0.5 + ux * along + vx * across, y: 0.5 + uy * along + vy * across });
  }
  return points;
}

/** A straight line across the whole image: at x = `position` (vertical), y = `position` (horizontal), or corner to corner. */
export function straightLine(direction: Direction, position = 0.5, mirrored = false): Point[] {
  if (direction === 'vertical') return [{ x: position, y: -0.1 }, { x: position, y: 1.1 }];
  if (direction === 'horizontal') return [{ x: -0.1, y: position }, { x: 1.1, y: position }];
  const shift = position - 0.5;
  return mirrored ? [{ x: -0.1 + shift, y: 1.1 + shift }, { x: 1.1 + shift, y: -0.1 + shift }] : [{ x: -0.1 + shift, y: -0.1 - shift }, { x: 1.1 + shift, y: 1.1 - shift }];
}

const centreLines = new WeakMap<readonly Point[], Shape>();

/** Distance from a point to a polyline's centre line. */
export function distanceToPath(path: readonly Point[], p: Point): number {
  let line = centreLines.get(path);
  if (line === undefined) {
    line = polyline(path, 0);
    centreLines.set(path, line);
  }
  return line.distance(p.x, p.y);
}

export function road(context: SceneContext, path: readonly Point[], halfWidth: number, marked = true): void {
  context.canvas.paint(polyline(path, halfWidth * 1.25), { colour: MATERIALS.concrete, grain: 0.05, mottle: 0.03, alpha: 0.7 });
  context.canvas.paint(polyline(path, halfWidth), { colour: MATERIALS.asphalt, grain: 0.06, mottle: 0.04 });
  if (marked) context.canvas.paint(polyline(path, halfWidth * 0.08), { colour: [0.9, 0.9, 0.85], grain: 0, mottle: 0, alpha: 0.6 });
}

/** A river band with darker banks. */
export function river(context: SceneContext, path: readonly Point[], halfWidth: number, water: Rgb): void {
  context.canvas.paint(polyline(path, halfWidth * 1.18), { colour: shade(MATERIALS.soil, 0.8), grain: 0.1, mottle: 0.08 });
  context.canvas.paint(polyline(path, halfWidth), { colour: water, grain: 0.03, mottle: 0.08, patches: 0.05 });
}

/** Colour names of the water bodies. */
export const WATER_COLOURS: readonly ColourName[] = ['blue', 'green', 'brown'];

/** Water colours that read as the named colour but still as water. */
export function waterColour(name: ColourName): Rgb {
  switch (name) {
    case 'green':
      return [0.16, 0.4, 0.3];
    case 'brown':
      return [0.42, 0.36, 0.24];
    default:
      return MATERIALS.water;
  }
}

/** Side of a direction's path that a point is on, as a place word pair. */
export function sidesOf(direction: Direction): ['left', 'right'] | ['top', 'bottom'] {
  return direction === 'vertical' ? ['left', 'right'] : ['top', 'bottom'];
}
