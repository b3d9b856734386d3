import { circle, difference, ellipse, intersection, polyline, rect, union } from '../geometry';
import { between, building, chance, distanceToPath, edgePath, pick, road, scatter, tree, type ScenePainter } from '../kit';
import { placeOf, type Direction, type Mention, type Place } from '../mentions';
import { colour, MATERIALS, mix, shade, type ColourName } from '../palette';
import type { Rgb } from '../raster';

const CROPS: readonly ColourName[] = ['green', 'yellow', 'brown'];
const CORNERS: readonly Place[] = ['top left', 'top right', 'bottom left', 'bottom right'];

/** Parallel fields of two or three crop colours, a farmhouse in a corner or a road along an edge. */
export const farmland: ScenePainter = ({ canvas, rng, scale, shadow }) => {
  const context = { canvas, rng, scale, shadow };
  canvas.fillAll({ colour: MATERIALS.soil, patches: 0.06 });
  const count = between(rng, 2, 5);
  const vertical = chance(rng, 0.5);
  const main = pick(rng, CROPS);
  const other = pick(rng, CROPS.filter((c) => c !== main));
  const width = 1 / count;
  for (let i = 0; i < count; i++) {
    const name = i % 2 === 0 ? main : other;
    const centre = (i + 0.5) * width;
    const shape = vertical ? rect(centre, 0.5, width - 0.018, 1.2) : rect(0.5, centre, 1.2, width - 0.018);
    const rows = { angle: vertical ? 0 : Math.PI / 2, period: 0.022 * scale, amplitude: 0.12 };
    canvas.paint(shape, { colour: cropColour(name), grain: 0.06, mottle: 0.06, patches: 0.05, stripes: rows });
  }
  const mentions: Mention[] = [
    { kind: 'count', object: 'field', count },
    { kind: 'colour', object: 'field', colour: main, second: other },
  ];
  if (chance(rng, 0.5)) {
    const corner = pick(rng, CORNERS);
    const roofName = pick(rng, ['red', 'white', 'grey'] as const);
    const x = corner.endsWith('left') ? 0.14 * scale : 1 - 0.14 * scale;
    const y = corner.startsWith('top') ? 0.14 * scale : 1 - 0.14 * scale;
    canvas.paint(rect(x, y, 0.22 * scale, 0.22 * scale), { colour: MATERIALS.grass, grain: 0.08 });
    building(context, x, y, 0.12 * scale, 0.08 * scale, 0, colour(roofName));
    mentions.push({ kind: 'place', object: 'farmhouse', place: corner, colour: roofName, size: 'small' });
  } else {
    const edge = pick(rng, vertical ? (['top', 'bottom'] as const) : (['left', 'right'] as const));
    const at = edge === 'top' || edge === 'left' ? 0.06 * scale : 1 - 0.06 * scale;
    road(context, edge === 'top' || edge === 'bottom' ? [{ x: -0.1, y: at }, { x: 1.1, y: at }] : [{ x: at, y: -0.1 }, { x: at, y: 1.1 }], 0.03 * scale, false);
    mentions.push({ kind: 'place', object: 'road', place: edge });
  }
  return mentions;
};

function cropColour(name: ColourName): Rgb {
  return name === 'brown' ? mix(colour('brown'), MATERIALS.soil, 0.4) : colour(name);
}

const TREE_TONES: readonly ColourName[] = ['dark green', 'green', 'orange', 'yellow'];

/** Dense crowns of one tone, with a clearing or a road. */
export const forest: ScenePainter = ({ canvas, rng, scale, shadow }) => {
  const context = { canvas, rng, scale, shadow };
  const toneName = pick(rng, TREE_TONES);
  const tone = toneName === 'dark green' ? colour('dark green') : mix(colour(toneName), colour('dark green'), 0.35);
  canvas.fillAll({ colour: shade(tone, 0.55), patches: 0.1 });
  const mentions: Mention[] = [{ kind: 'colour', object: 'tree', colour: toneName }];
  let keepOut: (x: number, y: number) => boolean = () => false;
  if (chance(rng, 0.55)) {
    const cx = pick(rng, [0.25, 0.5, 0.75]);
    const cy = pick(rng, [0.25, 0.5, 0.75]);
    const large = chance(rng, 0.5);
    const r = (large ? 0.2 : 0.12) * scale;
    const clearing = ellipse(cx, cy, r * 1.2, r, rng.next() * Math.PI);
    canvas.paint(clearing, { colour: MATERIALS.meadow, grain: 0.08, mottle: 0.08 });
    keepOut = (x, y) => clearing.distance(x, y) < 0.01;
    mentions.push({ kind: 'place', object: 'clearing', place: placeOf(cx, cy), size: large ? 'large' : 'small' });
  } else {
    const direction: Direction = pick(rng, ['vertical', 'horizontal', 'diagonal'] as const);
    const path = edgePath(rng, direction, 0.05, 0, 0.1);
    road(context, path, 0.025 * scale, false);
    keepOut = (x, y) => distanceToPath(path, { x, y }) < 0.04 * scale;
    mentions.push({ kind: 'direction', object: 'road', direction });
  }
  const radius = 0.034 * scale;
  const step = radius * 1.35;
  for (let y = step / 2; y < 1 + radius; y += step) {
    for (let x = step / 2; x < 1 + radius; x += step) {
      const px = x + (rng.next() - 0.5) * step * 0.8;
      const py = y + (rng.next() - 0.5) * step * 0.8;
      if (keepOut(px, py)) continue;
      tree(context, px, py, radius * (0.75 + rng.next() * 0.5), shade(tone, 0.85 + rng.next() * 0.3), false);
    }
  }
  return mentions;
};

const SAND_TONES: readonly ColourName[] = ['yellow', 'orange', 'white', 'brown'];

/** Dunes in parallel ridges of one sand tone, with a track or scattered shrubs. */
export const desert: ScenePainter = ({ canvas, rng, scale, shadow }) => {
  const context = { canvas, rng, scale, shadow };
  const toneName = pick(rng, SAND_TONES);
  const tone = mix(colour(toneName), MATERIALS.sand, 0.35);
  const direction: Direction = pick(rng, ['vertical', 'horizontal', 'diagonal'] as const);
  // Ridges run along `direction`, so the stripes vary across it.
  const angle = direction === 'vertical' ? 0 : direction === 'horizontal' ? Math.PI / 2 : Math.PI / 4;
  canvas.fillAll({ colour: tone, grain: 0.04, mottle: 0.05, patches: 0.08, stripes: { angle, period: 0.11 * scale, amplitude: 0.16 } });
  const mentions: Mention[] = [
    { kind: 'colour', object: 'sand', colour: toneName },
    { kind: 'direction', object: 'dune', direction },
  ];
  if (chance(rng, 0.5)) {
    const roadDirection: Direction = direction === 'vertical' ? 'horizontal' : 'vertical';
    road(context, edgePath(rng, roadDirection, 0.03, 0, 0.15), 0.022 * scale, false);
    mentions.push({ kind: 'direction', object: 'road', direction: roadDirection });
  } else {
    const shrubs = scatter(rng, between(rng, 3, 8), 0.08, [0.05, 0.05, 0.95, 0.95]);
    for (const p of shrubs) tree(context, p.x, p.y, 0.016 * scale, shade(colour('green'), 0.6));
    mentions.push({ kind: 'amount', object: 'tree', amount: 'few' });
  }
  return mentions;
};

/** Baseball diamonds: a grass fan with a brown infield, among trees or houses. */
export const baseballField: ScenePainter = ({ canvas, rng, scale, shadow }) => {
  const context = { canvas, rng, scale, shadow };
  canvas.fillAll({ colour: MATERIALS.grass, patches: 0.08 });
  const count = between(rng, 1, 3);
  const size = 0.3 * scale;
  const spots = scatter(rng, count, size * 1.15, [size * 0.55, size * 0.55, 1 - size * 0.55, 1 - size * 0.55]);
  for (const p of spots) {
    const facing = (Math.floor(rng.next() * 4) * Math.PI) / 2 + Math.PI / 4;
    const cos = Math.cos(facing);
    const sin = Math.sin(facing);
    const home = { x: p.x - (cos * size) / 2, y: p.y - (sin * size) / 2 };
    // The quarter circle opening towards `facing`: a disc cut by the square with a corner at home plate.
    const fan = intersection(circle(home.x, home.y, size), rect(home.x + cos * size * Math.SQRT1_2, home.y + sin * size * Math.SQRT1_2, size, size, facing + Math.PI / 4));
    canvas.paint(fan, { colour: shade(MATERIALS.grass, 1.25), grain: 0.04, mottle: 0.03, stripes: { angle: facing, period: 0.03 * scale, amplitude: 0.05 } });
    // Warning track along the fence, the dirt infield as a quarter disc, the grass square of the diamond inside it.
    canvas.paint(difference(fan, circle(home.x, home.y, size * 0.93)), { colour: MATERIALS.infield, grain: 0.05, mottle: 0.03 });
    canvas.paint(intersection(circle(home.x, home.y, size * 0.52), fan), { colour: MATERIALS.infield, grain: 0.05, mottle: 0.03 });
    const side = size * 0.26;
    canvas.paint(rect(home.x + cos * side * Math.SQRT1_2, home.y + sin * side * Math.SQRT1_2, side, side, facing + Math.PI / 4), { colour: shade(MATERIALS.grass, 1.15), grain: 0.04 });
    canvas.paint(circle(home.x + cos * side * Math.SQRT1_2, home.y + sin * side * Math.SQRT1_2, size * 0.045), { colour: MATERIALS.infield, grain: 0.04 });
  }
  const centre = { x: spots.reduce((sum, p) => sum + p.x, 0) / spots.length, y: spots.reduce((sum, p) => sum + p.y, 0) / spots.length };
  const mentions: Mention[] = [{ kind: 'count', object: 'diamond', count: spots.length, place: placeOf(centre.x, centre.y) }];
  const taken = (p: { x: number; y: number }): boolean => spots.some((q) => Math.hypot(p.x - q.x, p.y - q.y) < size * 0.62);
  if (chance(rng, 0.5)) {
    for (const p of scatter(rng, 30, 0.05 * scale, [0, 0, 1, 1], (p) => !taken(p))) tree(context, p.x, p.y, 0.025 * scale, colour('dark green'));
    mentions.push({ kind: 'relation', object: 'tree', relation: 'around', anchor: 'diamond' });
  } else {
    const roofName = pick(rng, ['red', 'grey', 'white'] as const);
    const houses = scatter(rng, 12, 0.12 * scale, [0.05, 0.05, 0.95, 0.95], (p) => !taken(p) && spots.every((q) => Math.hypot(p.x - q.x, p.y - q.y) > size * 0.75));
    for (const p of houses) building(context, p.x, p.y, 0.08 * scale, 0.06 * scale, 0, colour(roofName));
    if (houses.length > 0) mentions.push({ kind: 'relation', object: 'house', relation: 'near', anchor: 'diamond' });
    if (houses.length > 0) mentions.push({ kind: 'colour', object: 'roof', colour: roofName });
  }
  return mentions;
};

const TRACK_COLOURS: readonly ColourName[] = ['red', 'blue', 'green'];

/** Oval running tracks of one colour around a lawn, with buildings or trees beside. */
export const playground: ScenePainter = ({ canvas, rng, scale, shadow }) => {
  const context = { canvas, rng, scale, shadow };
  canvas.fillAll({ colour: mix(MATERIALS.grass, MATERIALS.concrete, 0.3), patches: 0.08 });
  const trackName = pick(rng, TRACK_COLOURS);
  const track = trackName === 'green' ? shade(colour('green'), 0.85) : colour(trackName);
  const count = chance(rng, 0.7) ? 1 : 2;
  const vertical = chance(rng, 0.5);
  const length = (count === 1 ? 0.38 : 0.24) * scale;
  const radius = (count === 1 ? 0.2 : 0.13) * scale;
  const centres = count === 1 ? [pick(rng, [0.42, 0.5, 0.58])] : [0.28, 0.72];
  const ovals: Array<{ x: number; y: number }> = [];
  for (const c of centres) {
    const x = vertical ? c : 0.5;
    const y = vertical ? 0.5 : c;
    const half = length / 2;
    const axis = vertical ? [{ x, y: y - half }, { x, y: y + half }] : [{ x: x - half, y }, { x: x + half, y }];
    const outer = polyline(axis, radius);
    const inner = polyline(axis, radius * 0.72);
    canvas.paint(outer, { colour: track, grain: 0.05, mottle: 0.03 });
    canvas.paint(difference(polyline(axis, radius * 0.86), polyline(axis, radius * 0.84)), { colour: [0.95, 0.95, 0.95], grain: 0, mottle: 0, alpha: 0.7 });
    canvas.paint(inner, { colour: shade(MATERIALS.grass, 1.15), grain: 0.04, stripes: { angle: vertical ? Math.PI / 2 : 0, period: 0.05 * scale, amplitude: 0.06 } });
    ovals.push({ x, y });
  }
  const mentions: Mention[] = [
    { kind: 'colour', object: 'track', colour: trackName },
    count === 1 ? { kind: 'count', object: 'track', count, place: placeOf(ovals[0]?.x ?? 0.5, ovals[0]?.y ?? 0.5) } : { kind: 'count', object: 'track', count },
  ];
  const clear = union(...ovals.map((o) => ellipse(o.x, o.y, vertical ? radius * 1.1 : length / 2 + radius * 1.1, vertical ? length / 2 + radius * 1.1 : radius * 1.1)));
  if (chance(rng, 0.5)) {
    const roofName = pick(rng, ['grey', 'white', 'red', 'orange'] as const);
    const blocks = scatter(rng, 6, 0.2 * scale, [0.08, 0.08, 0.92, 0.92], (p) => clear.distance(p.x, p.y) > 0.09 * scale);
    for (const p of blocks) building(context, p.x, p.y, 0.15 * scale, 0.09 * scale, vertical ? Math.PI / 2 : 0, colour(roofName), true);
    if (blocks.length > 0) mentions.push({ kind: 'relation', object: 'building', relation: 'beside', anchor: 'track' });
  } else {
    for (const p of scatter(rng, 40, 0.045 * scale, [0, 0, 1, 1], (p) => clear.distance(p.x, p.y) > 0.03)) tree(context, p.x, p.y, 0.024 * scale, colour('dark green'));
    mentions.push({ kind: 'relation', object: 'tree', relation: 'around', anchor: 'track' });
  }
  return mentions;
};
