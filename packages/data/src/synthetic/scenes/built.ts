import { rect } from '../geometry';
import { between, building, car, chance, distanceToPath, edgePath, pick, plane, road, scatter, straightLine, tank, tree, type ScenePainter } from '../kit';
import { placeOf, type Direction, type Mention } from '../mentions';
import { colour, MATERIALS, mix, shade, type ColourName } from '../palette';

const ROOF_COLOURS: readonly ColourName[] = ['red', 'grey', 'blue', 'orange', 'white'];

/** Rows of gable-roofed houses of one roof colour, a road, trees between. */
export const residential: ScenePainter = ({ canvas, rng, scale, shadow }) => {
  const context = { canvas, rng, scale, shadow };
  canvas.fillAll({ colour: MATERIALS.grass, patches: 0.08 });
  const roofName = pick(rng, ROOF_COLOURS);
  const roof = colour(roofName);
  const rows = between(rng, 2, 4);
  const roadDirection: Direction = pick(rng, ['vertical', 'horizontal'] as const);
  const roadOffset = pick(rng, [-0.3, 0, 0.3]);
  const path = edgePath(rng, roadDirection, 0, roadOffset, 0.02);
  road(context, path, 0.035 * scale);
  const houseWidth = 0.085 * scale;
  const houseDepth = 0.06 * scale;
  const bandHeight = 1 / rows;
  let houses = 0;
  for (let r = 0; r < rows; r++) {
    const across = (r + 0.5) * bandHeight;
    for (let along = houseWidth * 0.8; along < 1 - houseWidth * 0.5; along += houseWidth * 1.45) {
      const [x, y] = roadDirection === 'vertical' ? [along, across] : [across, along];
      if (distanceToPath(path, { x, y }) < 0.035 * scale + houseWidth * 0.75) continue;
      const angle = roadDirection === 'vertical' ? 0 : Math.PI / 2;
      building(context, x, y, houseWidth, houseDepth, angle, mix(roof, shade(roof, 0.85 + rng.next() * 0.3), 0.5));
      houses++;
    }
  }
  const many = chance(rng, 0.5);
  const trees = scatter(rng, many ? 26 : 5, 0.035 * scale, [0, 0, 1, 1], (p) => distanceToPath(path, p) > 0.06 * scale);
  for (const p of trees) tree(context, p.x, p.y, 0.022 * scale, colour('dark green'));
  const mentions: Mention[] = [
    { kind: 'colour', object: 'roof', colour: roofName },
    { kind: 'count', object: 'row', count: rows },
    { kind: 'direction', object: 'road', direction: roadDirection },
    { kind: 'amount', object: 'tree', amount: many ? 'many' : 'few' },
  ];
  if (houses === 0) mentions.splice(0, 2);
  return mentions;
};

const CAR_COLOURS: readonly ColourName[] = ['white', 'red', 'blue', 'black', 'yellow'];

/** An asphalt lot with marked rows of stalls, cars of one dominant colour, a building on one side. */
export const parkingLot: ScenePainter = ({ canvas, rng, scale, shadow }) => {
  const context = { canvas, rng, scale, shadow };
  canvas.fillAll({ colour: MATERIALS.asphalt, patches: 0.05, mottle: 0.05 });
  const side = pick(rng, ['top', 'bottom', 'left', 'right'] as const);
  const roofName = pick(rng, ['grey', 'white', 'red', 'blue'] as const);
  const depth = 0.2 * scale;
  const [bx, by, bw, bh] =
    side === 'top' ? [0.5, depth / 2, 0.9, depth] : side === 'bottom' ? [0.5, 1 - depth / 2, 0.9, depth] : side === 'left' ? [depth / 2, 0.5, depth, 0.9] : [1 - depth / 2, 0.5, depth, 0.9];
  building(context, bx, by, bw, bh, 0, colour(roofName), true);
  const carColourName = pick(rng, CAR_COLOURS);
  const full = chance(rng, 0.5);
  const rows = between(rng, 2, 4);
  const free = { x0: side === 'left' ? depth + 0.04 : 0.04, x1: side === 'right' ? 1 - depth - 0.04 : 0.96, y0: side === 'top' ? depth + 0.04 : 0.04, y1: side === 'bottom' ? 1 - depth - 0.04 : 0.96 };
  const stall = 0.026 * scale;
  let cars = 0;
  for (let r = 0; r < rows; r++) {
    const y = free.y0 + ((r + 0.5) * (free.y1 - free.y0)) / rows;
    canvas.paint(rect((free.x0 + free.x1) / 2, y, free.x1 - free.x0, 0.006 * scale), { colour: [0.92, 0.92, 0.88], grain: 0, mottle: 0, alpha: 0.7 });
    for (let x = free.x0 + stall; x < free.x1 - stall / 2; x += stall * 1.3) {
      canvas.paint(rect(x + stall * 0.65, y, 0.003 * scale, 0.07 * scale), { colour: [0.92, 0.92, 0.88], grain: 0, mottle: 0, alpha: 0.6 });
      if (!chance(rng, full ? 0.85 : 0.2)) continue;
      const own = chance(rng, 0.8) ? carColourName : pick(rng, CAR_COLOURS);
      car(context, x, y + (chance(rng, 0.5) ? -1 : 1) * 0.022 * scale, Math.PI / 2, colour(own));
      cars++;
    }
  }
  const mentions: Mention[] = [
    { kind: 'amount', object: 'car', amount: full ? 'many' : 'few', colour: carColourName },
    { kind: 'place', object: 'building', place: side, colour: roofName, size: 'large' },
    { kind: 'count', object: 'parkingRow', count: rows },
  ];
  if (cars === 0) mentions.shift();
  return mentions;
};

const PLANE_COLOURS: readonly ColourName[] = ['white', 'grey', 'blue', 'red'];

/** A runway across grass, a terminal on the apron beside it, planes of one colour. */
export const airport: ScenePainter = ({ canvas, rng, scale, shadow }) => {
  const context = { canvas, rng, scale, shadow };
  canvas.fillAll({ colour: MATERIALS.meadow, patches: 0.1 });
  const direction = pick(rng, ['vertical', 'horizontal', 'diagonal'] as const);
  const near = chance(rng, 0.5);
  const runwayAt = direction === 'diagonal' ? 0.5 : near ? 0.25 : 0.75;
  const path = straightLine(direction, runwayAt, chance(rng, 0.5));
  road(context, path, 0.06 * scale, true);
  const span = 0.15 * scale;
  let terminal: { x: number; y: number } | undefined;
  let apron: [number, number, number, number] = [span / 2, span / 2, 1 - span / 2, 1 - span / 2];
  if (direction !== 'diagonal') {
    // The apron fills the half away from the runway; the terminal stands at its far edge.
    const farEdge = near ? 0.88 : 0.12;
    const apronFrom = near ? 0.4 : 0.05;
    const apronTo = near ? 0.95 : 0.6;
    const vertical = direction === 'vertical';
    canvas.paint(vertical ? rect((apronFrom + apronTo) / 2, 0.5, apronTo - apronFrom, 1) : rect(0.5, (apronFrom + apronTo) / 2, 1, apronTo - apronFrom), { colour: MATERIALS.concrete, grain: 0.04, mottle: 0.03 });
    terminal = vertical ? { x: farEdge, y: 0.5 } : { x: 0.5, y: farEdge };
    building(context, terminal.x, terminal.y, vertical ? 0.13 * scale : 0.55, vertical ? 0.55 : 0.13 * scale, 0, colour('grey'), true);
    const lo = (near ? 0.4 : 0.05) + span / 2;
    const hi = (near ? 0.95 : 0.6) - span / 2 - 0.07 * scale;
    const [from, to] = near ? [lo, hi] : [lo + 0.07 * scale, hi + 0.07 * scale];
    apron = vertical ? [from, span / 2, to, 1 - span / 2] : [span / 2, from, 1 - span / 2, to];
  }
  const planeColourName = pick(rng, PLANE_COLOURS);
  const spots = scatter(rng, between(rng, 1, 4), span * 1.15, apron, (p) => distanceToPath(path, p) > 0.06 * scale + span / 2);
  const heading = direction === 'vertical' ? Math.PI / 2 : direction === 'horizontal' ? 0 : Math.PI / 4;
  for (const p of spots) plane(context, p.x, p.y, heading + (rng.next() - 0.5) * 0.6, span, colour(planeColourName));
  const mentions: Mention[] = [{ kind: 'direction', object: 'runway', direction }];
  if (spots.length > 0) mentions.unshift({ kind: 'count', object: 'plane', count: spots.length, colour: planeColourName });
  if (terminal !== undefined) mentions.push({ kind: 'place', object: 'terminal', place: placeOf(terminal.x, terminal.y), size: 'large' });
  else if (spots.length > 0) mentions.push({ kind: 'relation', object: 'plane', relation: 'beside', anchor: 'runway' });
  return mentions;
};

/** Large flat-roofed halls of one colour, a cluster of storage tanks, a road. */
export const industrial: ScenePainter = ({ canvas, rng, scale, shadow }) => {
  const context = { canvas, rng, scale, shadow };
  canvas.fillAll({ colour: mix(MATERIALS.concrete, MATERIALS.soil, 0.4), patches: 0.08 });
  const direction = pick(rng, ['vertical', 'horizontal'] as const);
  const path = edgePath(rng, direction, 0, 0, 0.03);
  road(context, path, 0.035 * scale);
  const roofName = pick(rng, ['grey', 'white', 'blue', 'red'] as const);
  const halls = between(rng, 1, 4);
  const hallSize = 0.2 * scale;
  const tankSide = chance(rng, 0.5) ? -1 : 1;
  const sideBox = (sign: number): [number, number, number, number] =>
    direction === 'vertical' ? (sign < 0 ? [0.05, 0.05, 0.42, 0.95] : [0.58, 0.05, 0.95, 0.95]) : sign < 0 ? [0.05, 0.05, 0.95, 0.42] : [0.05, 0.58, 0.95, 0.95];
  const hallSpots = scatter(rng, halls, hallSize * 1.3, shrink(sideBox(-tankSide), hallSize / 2), (p) => distanceToPath(path, p) > hallSize * 0.8);
  for (const p of hallSpots) building(context, p.x, p.y, hallSize * (0.9 + rng.next() * 0.4), hallSize * (0.6 + rng.next() * 0.3), 0, colour(roofName), true);
  const tanks = between(rng, 0, 5);
  const radius = 0.045 * scale;
  const tankSpots = scatter(rng, tanks, radius * 2.5, shrink(sideBox(tankSide), radius * 1.2), (p) => distanceToPath(path, p) > radius * 2);
  const tankColour = pick(rng, ['white', 'grey'] as const);
  for (const p of tankSpots) tank(context, p.x, p.y, radius, colour(tankColour));
  const mentions: Mention[] = [{ kind: 'direction', object: 'road', direction }];
  if (hallSpots.length > 0) mentions.unshift({ kind: 'count', object: 'building', count: hallSpots.length, colour: roofName });
  if (tankSpots.length > 0) {
    const cx = tankSpots.reduce((s, p) => s + p.x, 0) / tankSpots.length;
    const cy = tankSpots.reduce((s, p) => s + p.y, 0) / tankSpots.length;
    mentions.splice(1, 0, { kind: 'count', object: 'tank', count: tankSpots.length, colour: tankColour, place: placeOf(cx, cy) });
  }
  return mentions;
};

function shrink(box: [number, number, number, number], margin: number): [number, number, number, number] {
  return [box[0] + margin, box[1] + margin, box[2] - margin, box[3] - margin];
}
