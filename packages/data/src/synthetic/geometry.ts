/** A point in scene coordinates: the image spans [0, 1] × [0, 1], y downwards. */
export interface Point {
  x: number;
  y: number;
}

/** A filled shape as a signed distance (negative inside, in scene units) with a bounding box. */
export interface Shape {
  /** [minX, minY, maxX, maxY] in scene units; nothing is drawn outside it. */
  readonly bounds: readonly [number, number, number, number];
  distance(x: number, y: number): number;
  /** How fast the distance can change per unit moved (default 1: a true or underestimated distance). */
  readonly lipschitz?: number;
}

/** A rectangle centred at (cx, cy), `width` along its own x axis, turned by `angle` radians. */
export function rect(cx: number, cy: number, width: number, height: number, angle = 0): Shape {
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  const hw = width / 2;
  const hh = height / 2;
  const ex = Math.abs(hw * cos) + Math.abs(hh * sin);
  const ey = Math.abs(hw * sin) + Math.abs(hh * cos);
  return {
    bounds: [cx - ex, cy - ey, cx + ex, cy + ey],
    distance(x, y) {
      const dx = x - cx;
      const dy = y - cy;
      const qx = Math.abs(dx * cos + dy * sin) - hw;
      const qy = Math.abs(-dx * sin + dy * cos) - hh;
      const ox = Math.max(qx, 0);
      const oy = Math.max(qy, 0);
      return Math.hypot(ox, oy) + Math.min(Math.max(qx, qy), 0);
    },
  };
}

/** An ellipse with radii (rx, ry) turned by `angle` (approximate distance, exact on circles). */
export function ellipse(cx: number, cy: number, rx: number, ry: number, angle = 0): Shape {
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  const r = Math.max(rx, ry);
  const k = Math.min(rx, ry);
  return {
    bounds: [cx - r, cy - r, cx + r, cy + r],
    distance(x, y) {
      const dx = x - cx;
      const dy = y - cy;
      const u = (dx * cos + dy * sin) / rx;
      const v = (-dx * sin + dy * cos) / ry;
      return (Math.hypot(u, v) - 1) * k;
    },
  };
}

export function circle(cx: number, cy: number, radius: number): Shape {
  return ellipse(cx, cy, radius, radius);
}

/** A band of half-width `halfWidth` along a polyline (rivers, roads, lines). */
export function polyline(points: readonly Point[], halfWidth: number): Shape {
  if (points.length < 2) throw new RangeError('polyline needs at least two points');
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (const p of points) {
    minX = Math.min(minX, p.x);
    minY = Math.min(minY, p.y);
    maxX = Math.max(maxX, p.x);
    maxY = Math.max(maxY, p.y);
  }
  const xs = Float64Array.from(points, (p) => p.x);
  const ys = Float64Array.from(points, (p) => p.y);
  return {
    bounds: [minX - halfWidth, minY - halfWidth, maxX + halfWidth, maxY + halfWidth],
    distance(x, y) {
      let best = Infinity;
      for (let i = 0; i + 1 < xs.length; i++) {
        const ax = xs[i] as number;
        const ay = ys[i] as number;
        const bx = (xs[i + 1] as number) - ax;
        const by = (ys[i + 1] as number) - ay;
        const px = x - ax;
        const py = y - ay;
        const t = Math.min(1, Math.max(0, (px * bx + py * by) / (bx * bx + by * by || 1)));
        const d = (px - t * bx) ** 2 + (py - t * by) ** 2;
        if (d < best) best = d;
      }
      return Math.sqrt(best) - halfWidth;
    },
  };
}

/** Points inside `outer` and not inside `inner` (a ring, a band). */
export function difference(outer: Shape, inner: Shape): Shape {
  return { bounds: outer.bounds, lipschitz: Math.max(outer.lipschitz ?? 1, inner.lipschitz ?? 1), distance: (x, y) => Math.max(outer.distance(x, y), -inner.distance(x, y)) };
}

/** Points inside any of the shapes. */
export function union(...shapes: Shape[]): Shape {
  const bounds: [number, number, number, number] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const s of shapes) {
    bounds[0] = Math.min(bounds[0], s.bounds[0]);
    bounds[1] = Math.min(bounds[1], s.bounds[1]);
    bounds[2] = Math.max(bounds[2], s.bounds[2]);
    bounds[3] = Math.max(bounds[3], s.bounds[3]);
  }
  return {
    bounds,
    lipschitz: Math.max(...shapes.map((s) => s.lipschitz ?? 1)),
    distance(x, y) {
      let best = Infinity;
      for (const s of shapes) best = Math.min(best, s.distance(x, y));
      return best;
    },
  };
}

/** Points inside both shapes. */
export function intersection(a: Shape, b: Shape): Shape {
  return {
    bounds: [Math.max(a.bounds[0], b.bounds[0]), Math.max(a.bounds[1], b.bounds[1]), Math.min(a.bounds[2], b.bounds[2]), Math.min(a.bounds[3], b.bounds[3])],
    lipschitz: Math.max(a.lipschitz ?? 1, b.lipschitz ?? 1),
    distance: (x, y) => Math.max(a.distance(x, y), b.distance(x, y)),
  };
}

/** The same shape moved by (dx, dy) (shadows). */
export function translate(shape: Shape, dx: number, dy: number): Shape {
  const [x0, y0, x1, y1] = shape.bounds;
  return { bounds: [x0 + dx, y0 + dy, x1 + dx, y1 + dy], lipschitz: shape.lipschitz ?? 1, distance: (x, y) => shape.distance(x - dx, y - dy) };
}

/**
 * The half-plane on the side of the line through `origin` that `normal` points away from (inside
 * when (p − origin)·normal < 0); `wobble(along)` bends the edge, `wobbleSlope` bounds its derivative.
 */
export function halfPlane(origin: Point, normal: Point, wobble?: (along: number) => number, wobbleSlope = 0): Shape {
  const length = Math.hypot(normal.x, normal.y);
  const nx = normal.x / length;
  const ny = normal.y / length;
  return {
    bounds: [-1, -1, 2, 2],
    lipschitz: 1 + wobbleSlope,
    distance(x, y) {
      const along = -(x - origin.x) * ny + (y - origin.y) * nx;
      return (x - origin.x) * nx + (y - origin.y) * ny - (wobble === undefined ? 0 : wobble(along));
    },
  };
}
