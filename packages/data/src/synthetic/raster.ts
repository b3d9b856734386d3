import type { SeededRandom } from '@harma/core';
import type { Shape } from './geometry';

/** A colour with components in 0..1 (display RGB). */
export type Rgb = readonly [number, number, number];

/** How a shape is filled: a base colour modulated by shared noise fields and optional stripes. */
export interface Paint {
  colour: Rgb;
  /** Amplitude of pixel-scale grain (default 0.05). */
  grain?: number;
  /** Amplitude of mottling at about 1/24 of the image (default 0.06). */
  mottle?: number;
  /** Amplitude of broad patches at about 1/5 of the image (default 0). */
  patches?: number;
  /** Parallel stripes (crop rows, dunes, waves): angle in radians, period in scene units, amplitude. */
  stripes?: { angle: number; period: number; amplitude: number };
  /** Opacity (default 1). */
  alpha?: number;
  /** `multiply` darkens or tints what is below (shadows); default `normal`. */
  blend?: 'normal' | 'multiply';
}

/** A square float RGB raster in scene coordinates, with noise fields shared by every paint. */
export class Canvas {
  readonly size: number;
  /** [size, size, 3], values 0..1 (not clamped until the sensor model). */
  readonly pixels: Float32Array;
  readonly #grain: Float32Array;
  readonly #mottle: Float32Array;
  readonly #patches: Float32Array;

  /**
   * `textureScale` > 1 enlarges the mottling and patches (a finer ground resolution). The buffers
   * are reused by the next canvas of the same size on this thread (drawing is synchronous), which
   * spares the garbage collector most of its work.
   */
  constructor(size: number, rng: SeededRandom, textureScale = 1) {
    this.size = size;
    const buffers = scratchBuffers(size);
    this.pixels = buffers.pixels.fill(0);
    this.#grain = whiteNoise(buffers.grain, rng);
    this.#mottle = valueNoise(buffers.mottle, size, Math.max(2, Math.round(24 / textureScale)), rng);
    this.#patches = valueNoise(buffers.patches, size, Math.max(2, Math.round(5 / textureScale)), rng);
  }

  /** Fill the whole canvas. */
  fillAll(paint: Paint): void {
    this.paint({ bounds: [0, 0, 1, 1], distance: () => -1 }, paint);
  }

  /** Fill a shape, anti-aliased over one pixel of its edge. */
  paint(shape: Shape, paint: Paint): void {
    const size = this.size;
    const [bx0, by0, bx1, by1] = shape.bounds;
    const x0 = Math.max(0, Math.floor(bx0 * size - 1));
    const y0 = Math.max(0, Math.floor(by0 * size - 1));
    const x1 = Math.min(size, Math.ceil(bx1 * size + 1));
    const y1 = Math.min(size, Math.ceil(by1 * size + 1));
    if (x0 >= x1 || y0 >= y1) return;
    const [cr, cg, cb] = paint.colour;
    const grain = paint.grain ?? 0.05;
    const mottle = paint.mottle ?? 0.06;
    const patches = paint.patches ?? 0;
    const alpha = paint.alpha ?? 1;
    const multiply = paint.blend === 'multiply';
    const stripes = paint.stripes;
    const stripeX = stripes === undefined ? 0 : (Math.cos(stripes.angle) * 2 * Math.PI) / stripes.period;
    const stripeY = stripes === undefined ? 0 : (Math.sin(stripes.angle) * 2 * Math.PI) / stripes.period;
    const pixels = this.pixels;
    const inverse = 1 / size;
    // Distances are (at most) `lipschitz`-Lipschitz: a pixel deeper than one pixel inside or
    // outside guarantees the same for the next few along the row, which are not evaluated again.
    const reach = size / (shape.lipschitz ?? 1);
    for (let py = y0; py < y1; py++) {
      const y = (py + 0.5) * inverse;
      let settled = 0;
      let settledCoverage = 0;
      for (let px = x0; px < x1; px++) {
        let coverage: number;
        if (settled > 0) {
          settled--;
          coverage = settledCoverage;
        } else {
          const d = shape.distance((px + 0.5) * inverse, y);
          coverage = Math.min(1, Math.max(0, 0.5 - d * size));
          const skip = Math.floor(Math.abs(d) * reach - 1);
          if (skip > 0 && (coverage === 0 || coverage === 1)) {
            settled = skip;
            settledCoverage = coverage;
          }
        }
        if (coverage <= 0) {
          if (settled > 0) {
            px += settled;
            settled = 0;
          }
          continue;
        }
        coverage *= alpha;
        const x = (px + 0.5) * inverse;
        const n = py * size + px;
        let factor = 1 + grain * (this.#grain[n] as number) + mottle * (this.#mottle[n] as number) + patches * (this.#patches[n] as number);
        if (stripes !== undefined) factor *= 1 + stripes.amplitude * Math.sin(x * stripeX + y * stripeY);
        const i = n * 3;
        const r = cr * factor;
        const g = cg * factor;
        const b = cb * factor;
        if (multiply) {
          pixels[i] = (pixels[i] as number) * (1 - coverage + coverage * r);
          pixels[i + 1] = (pixels[i + 1] as number) * (1 - coverage + coverage * g);
          pixels[i + 2] = (pixels[i + 2] as number) * (1 - coverage + coverage * b);
        } else {
          pixels[i] = (pixels[i] as number) + coverage * (r - (pixels[i] as number));
          pixels[i + 1] = (pixels[i + 1] as number) + coverage * (g - (pixels[i + 1] as number));
          pixels[i + 2] = (pixels[i + 2] as number) + coverage * (b - (pixels[i + 2] as number));
        }
      }
    }
  }
}

let scratch: { size: number; pixels: Float32Array; grain: Float32Array; mottle: Float32Array; patches: Float32Array } | undefined;

function scratchBuffers(size: number): NonNullable<typeof scratch> {
  if (scratch?.size !== size) {
    const plane = size * size;
    scratch = { size, pixels: new Float32Array(plane * 3), grain: new Float32Array(plane), mottle: new Float32Array(plane), patches: new Float32Array(plane) };
  }
  return scratch;
}

/** Fill `out` with independent uniform values in [-1, 1] (pixel grain) from a fast generator seeded once. */
function whiteNoise(out: Float32Array, rng: SeededRandom): Float32Array {
  const count = out.length;
  let state = rng.int(2 ** 32) >>> 0;
  for (let i = 0; i < count; i++) {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = ((t ^ (t >>> 14)) >>> 0) / 2147483648 - 1;
  }
  return out;
}

/** Fill `out` with smooth value noise in [-1, 1] on a size × size grid from a `cells` × `cells` random lattice. */
function valueNoise(out: Float32Array, size: number, cells: number, rng: SeededRandom): Float32Array {
  const stride = cells + 1;
  const lattice = new Float32Array(stride * stride);
  for (let i = 0; i < lattice.length; i++) lattice[i] = rng.next() * 2 - 1;
  const step = cells / size;
  const cellOf = new Int32Array(size);
  const weightOf = new Float32Array(size);
  for (let p = 0; p < size; p++) {
    const u = (p + 0.5) * step;
    const cell = Math.min(cells - 1, Math.floor(u));
    const f = u - cell;
    cellOf[p] = cell;
    weightOf[p] = f * f * (3 - 2 * f);
  }
  for (let py = 0; py < size; py++) {
    const row = (cellOf[py] as number) * stride;
    const sy = weightOf[py] as number;
    for (let px = 0; px < size; px++) {
      const ix = cellOf[px] as number;
      const sx = weightOf[px] as number;
      const a = lattice[row + ix] as number;
      const b = lattice[row + ix + 1] as number;
      const c = lattice[row + stride + ix] as number;
      const d = lattice[row + stride + ix + 1] as number;
      const top = a + (b - a) * sx;
      out[py * size + px] = top + (c + (d - c) * sx - top) * sy;
    }
  }
  return out;
}
