import { ellipse, halfPlane, polyline, rect } from '../geometry';
import { between, boat, building, car, chance, distanceToPath, edgePath, pick, river, road, scatter, sidesOf, tree, WATER_COLOURS, waterColour, type ScenePainter } from '../kit';
import { placeOf, type Direction, type Mention } from '../mentions';
import { colour, MATERIALS, mix, shade, type ColourName } from '../palette';

/** A meandering river of one water colour, with trees along it or houses on one bank. */
export const riverScene: ScenePainter = ({ canvas, rng, scale, shadow }) => {
  const context = { canvas, rng, scale, shadow };
  canvas.fillAll({ colour: MATERIALS.grass, patches: 0.1 });
  const direction: Direction = pick(rng, ['vertical', 'horizontal', 'diagonal'] as const);
  const waterName = pick(rng, WATER_COLOURS);
  const wide = chance(rng, 0.5);
  const halfWidth = (wide ? 0.11 : 0.06) * scale;
  const path = edgePath(rng, direction, 0.07, 0, 0.08);
  river(context, path, halfWidth, waterColour(waterName));
  const mentions: Mention[] = [{ kind: 'direction', object: 'river', direction, colour: waterName, size: wide ? 'wide' : 'narrow' }];
  const bank = (p: { x: number; y: number }): boolean => distanceToPath(path, p) > halfWidth * 1.3 + 0.03 * scale;
  if (chance(rng, 0.5) || direction === 'diagonal') {
    const trees = scatter(rng, 45, 0.045 * scale, [0, 0, 1, 1], (p) => bank(p) && distanceToPath(path, p) < halfWidth + 0.14 * scale);
    for (const p of trees) tree(context, p.x, p.y, 0.025 * scale, colour('dark green'));
    mentions.push({ kind: 'relation', object: 'tree', relation: 'along', anchor: 'river' });
  } else {
    const [first, second] = sidesOf(direction);
    const side = chance(rng, 0.5) ? first : second;
    const onSide = (p: { x: number; y: number }): boolean => (side === 'left' ? p.x < 0.5 : side === 'right' ? p.x > 0.5 : side === 'top' ? p.y < 0.5 : p.y > 0.5);
    const roofName = pick(rng, ['red', 'grey', 'orange', 'white'] as const);
    const houses = scatter(rng, 9, 0.11 * scale, [0.05, 0.05, 0.95, 0.95], (p) => bank(p) && onSide(p));
    for (const p of houses) building(context, p.x, p.y, 0.08 * scale, 0.06 * scale, direction === 'vertical' ? Math.PI / 2 : 0, colour(roofName));
    if (houses.length > 0) mentions.push({ kind: 'amount', object: 'house', amount: houses.length >= 4 ? 'many' : 'few', colour: roofName, place: side });
  }
  mentions.push({ kind: 'colour', object: 'river', colour: waterName });
  return mentions;
};

/** A river crossed by one or two bridges, cars on them. */
export const bridge: ScenePainter = ({ canvas, rng, scale, shadow }) => {
  const context = { canvas, rng, scale, shadow };
  canvas.fillAll({ colour: mix(MATERIALS.grass, MATERIALS.soil, 0.3), patches: 0.1 });
  const direction: Direction = pick(rng, ['vertical', 'horizontal'] as const);
  const waterName = pick(rng, WATER_COLOURS);
  const halfWidth = 0.13 * scale;
  const path = edgePath(rng, direction, 0.03, 0, 0.05);
  river(context, path, halfWidth, waterColour(waterName));
  const count = between(rng, 1, 2);
  const positions = count === 1 ? [0.3 + rng.next() * 0.4] : [0.2 + rng.next() * 0.15, 0.65 + rng.next() * 0.15];
  let cars = 0;
  const carColour = pick(rng, ['white', 'red', 'blue', 'black'] as const);
  for (const at of positions) {
    const deck = direction === 'vertical' ? [{ x: -0.1, y: at }, { x: 1.1, y: at }] : [{ x: at, y: -0.1 }, { x: at, y: 1.1 }];
    road(context, deck, 0.03 * scale);
    const span = direction === 'vertical' ? rect(0.5, at + 0.02 * scale, 0.5, 0.07 * scale) : rect(at + 0.02 * scale, 0.5, 0.07 * scale, 0.5);
    canvas.paint(span, { colour: MATERIALS.shadow, blend: 'multiply', grain: 0, mottle: 0, alpha: 0.5 });
    canvas.paint(polyline(deck, 0.03 * scale), { colour: MATERIALS.concrete, grain: 0.04, mottle: 0.02 });
    for (let k = between(rng, 0, 3); k > 0; k--) {
      const along = 0.1 + rng.next() * 0.8;
      car(context, direction === 'vertical' ? along : at, direction === 'vertical' ? at : along, direction === 'vertical' ? 0 : Math.PI / 2, colour(carColour));
      cars++;
    }
  }
  const mentions: Mention[] = [
    { kind: 'count', object: 'bridge', count },
    { kind: 'direction', object: 'river', direction, colour: waterName, size: 'wide' },
    { kind: 'relation', object: 'bridge', relation: 'across', anchor: 'river' },
  ];
  if (cars > 0) mentions.push({ kind: 'amount', object: 'car', amount: cars >= 4 ? 'many' : 'few', colour: carColour });
  return mentions;
};

const SIDES = ['left', 'right', 'top', 'bottom'] as const;
const NORMALS = { left: { x: 1, y: 0 }, right: { x: -1, y: 0 }, top: { x: 0, y: 1 }, bottom: { x: 0, y: -1 } } as const;

/** The sea on one side, a sand strip of one tone with surf, trees or houses inland, maybe boats. */
export const beach: ScenePainter = ({ canvas, rng, scale, shadow }) => {
  const context = { canvas, rng, scale, shadow };
  const side = pick(rng, SIDES);
  const sandName: ColourName = pick(rng, ['white', 'yellow'] as const);
  const sand = sandName === 'white' ? mix(MATERIALS.sand, colour('white'), 0.5) : mix(MATERIALS.sand, colour('yellow'), 0.3);
  canvas.fillAll({ colour: MATERIALS.grass, patches: 0.1 });
  const phase = rng.next() * 6;
  const wobble = (t: number): number => 0.025 * Math.sin(phase + t * 9);
  const shoreAt = 0.42;
  const origin = { left: { x: shoreAt, y: 0.5 }, right: { x: 1 - shoreAt, y: 0.5 }, top: { x: 0.5, y: shoreAt }, bottom: { x: 0.5, y: 1 - shoreAt } }[side];
  const normal = NORMALS[side];
  const along = (d: number): { x: number; y: number } => ({ x: origin.x + normal.x * d, y: origin.y + normal.y * d });
  canvas.paint(halfPlane(along(0.2 * scale), normal, wobble, 0.25), { colour: sand, grain: 0.05, mottle: 0.04 });
  canvas.paint(halfPlane(origin, normal, wobble, 0.25), { colour: MATERIALS.water, grain: 0.03, mottle: 0.06, patches: 0.06 });
  canvas.paint(halfPlane(along(-0.12), normal, wobble, 0.25), { colour: MATERIALS.deepWater, grain: 0.03, mottle: 0.05, alpha: 0.7 });
  for (let k = 0; k < 3; k++) {
    const surf = halfPlane(along(-0.015 - k * 0.035), normal, (t) => wobble(t) + 0.006 * Math.sin(t * 40 + k), 0.5);
    const band = { bounds: surf.bounds, lipschitz: 1.5, distance: (x: number, y: number) => Math.abs(surf.distance(x, y)) - 0.004 * scale };
    canvas.paint(band, { colour: MATERIALS.foam, grain: 0.2, mottle: 0, alpha: 0.55 - k * 0.12 });
  }
  const sea = (p: { x: number; y: number }): number => (p.x - origin.x) * normal.x + (p.y - origin.y) * normal.y;
  const mentions: Mention[] = [
    { kind: 'place', object: 'sea', place: side },
    { kind: 'colour', object: 'beach', colour: sandName },
  ];
  if (chance(rng, 0.5)) {
    for (const p of scatter(rng, 30, 0.05 * scale, [0, 0, 1, 1], (p) => sea(p) > 0.28 * scale)) tree(context, p.x, p.y, 0.025 * scale, colour('dark green'));
    mentions.push({ kind: 'relation', object: 'tree', relation: 'along', anchor: 'beach' });
  } else {
    const roofName = pick(rng, ['red', 'white', 'orange', 'blue'] as const);
    const houses = scatter(rng, 8, 0.12 * scale, [0.05, 0.05, 0.95, 0.95], (p) => sea(p) > 0.3 * scale);
    for (const p of houses) building(context, p.x, p.y, 0.08 * scale, 0.06 * scale, 0, colour(roofName));
    if (houses.length > 0) mentions.push({ kind: 'amount', object: 'house', amount: houses.length >= 4 ? 'many' : 'few', colour: roofName });
  }
  const boats = scatter(rng, between(rng, 0, 3), 0.15 * scale, [0.06, 0.06, 0.94, 0.94], (p) => sea(p) < -0.1);
  const heading = side === 'left' || side === 'right' ? Math.PI / 2 : 0;
  for (const p of boats) boat(context, p.x, p.y, heading + (rng.next() - 0.5), 0.09 * scale, colour('white'));
  if (boats.length > 0) mentions.push({ kind: 'count', object: 'boat', count: boats.length, colour: 'white' });
  return mentions;
};

const BOAT_COLOURS: readonly ColourName[] = ['white', 'red', 'blue'];

/** Water on one side, piers reaching into it, boats of one colour, containers on the quay. */
export const port: ScenePainter = ({ canvas, rng, scale, shadow }) => {
  const context = { canvas, rng, scale, shadow };
  const side = pick(rng, SIDES);
  const normal = NORMALS[side];
  canvas.fillAll({ colour: MATERIALS.concrete, patches: 0.06 });
  const quay = 0.45;
  const origin = { left: { x: quay, y: 0.5 }, right: { x: 1 - quay, y: 0.5 }, top: { x: 0.5, y: quay }, bottom: { x: 0.5, y: 1 - quay } }[side];
  canvas.paint(halfPlane(origin, normal), { colour: mix(MATERIALS.water, MATERIALS.deepWater, 0.4), grain: 0.03, mottle: 0.05, patches: 0.05 });
  const piers = between(rng, 1, 3);
  const vertical = side === 'left' || side === 'right';
  const pierLength = 0.3;
  const pierAxis: number[] = [];
  for (let k = 0; k < piers; k++) {
    const at = (k + 0.5) / piers;
    const inner = { x: origin.x - normal.x * pierLength, y: origin.y - normal.y * pierLength };
    const start = vertical ? { x: origin.x, y: at } : { x: at, y: origin.y };
    const end = vertical ? { x: inner.x, y: at } : { x: at, y: inner.y };
    canvas.paint(polyline([start, end], 0.022 * scale), { colour: shade(MATERIALS.concrete, 1.05), grain: 0.03, mottle: 0.02 });
    pierAxis.push(at);
  }
  const boatName = pick(rng, BOAT_COLOURS);
  const length = 0.12 * scale;
  const inWater = (p: { x: number; y: number }): boolean => (p.x - origin.x) * normal.x + (p.y - origin.y) * normal.y < -length * 0.6;
  const clearOfPiers = (p: { x: number; y: number }): boolean => pierAxis.every((a) => Math.abs((vertical ? p.y : p.x) - a) > 0.05 * scale);
  const boats = scatter(rng, between(rng, 1, 5), length * 0.75, [length / 2, length / 2, 1 - length / 2, 1 - length / 2], (p) => inWater(p) && clearOfPiers(p));
  for (const p of boats) boat(context, p.x, p.y, vertical ? 0 : Math.PI / 2, length, colour(boatName));
  const containerNames = [pick(rng, ['red', 'blue', 'orange'] as const), pick(rng, ['green', 'white', 'yellow'] as const)] as const;
  // The quay is the dry side of the water line, kept a little back from the edge.
  const [lx0, ly0, lx1, ly1] = { left: [quay + 0.08, 0.05, 0.95, 0.95], right: [0.05, 0.05, 1 - quay - 0.08, 0.95], top: [0.05, quay + 0.08, 0.95, 0.95], bottom: [0.05, 0.05, 0.95, 1 - quay - 0.08] }[side] as [number, number, number, number];
  for (let y = ly0 + 0.03; y < ly1 - 0.02; y += 0.045 * scale) {
    for (let x = lx0 + 0.03; x < lx1 - 0.03; x += 0.07 * scale) {
      if (!chance(rng, 0.7)) continue;
      const name = chance(rng, 0.5) ? containerNames[0] : containerNames[1];
      canvas.paint(rect(x, y, 0.06 * scale, 0.035 * scale), { colour: colour(name), grain: 0.04, mottle: 0.02 });
    }
  }
  const mentions: Mention[] = [
    { kind: 'count', object: 'boat', count: boats.length, colour: boatName },
    { kind: 'count', object: 'pier', count: piers },
    { kind: 'colour', object: 'container', colour: containerNames[0], second: containerNames[1] },
  ];
  if (boats.length === 0) mentions.shift();
  return mentions;
};

/** A lake of one water colour at a place, trees around it or houses beside it. */
export const lake: ScenePainter = ({ canvas, rng, scale, shadow }) => {
  const context = { canvas, rng, scale, shadow };
  canvas.fillAll({ colour: MATERIALS.meadow, patches: 0.12 });
  const large = chance(rng, 0.5);
  const rx = (large ? 0.3 : 0.17) * scale * (0.85 + rng.next() * 0.3);
  const ry = rx * (0.6 + rng.next() * 0.3);
  const margin = Math.min(0.45, rx + 0.03);
  const cx = large ? 0.5 + (rng.next() - 0.5) * Math.max(0, 1 - 2 * margin) : pick(rng, [0.25, 0.5, 0.75]);
  const cy = large ? 0.5 + (rng.next() - 0.5) * Math.max(0, 1 - 2 * margin) : pick(rng, [0.25, 0.5, 0.75]);
  const angle = rng.next() * Math.PI;
  const waterName = pick(rng, WATER_COLOURS);
  const shape = ellipse(cx, cy, rx, ry, angle);
  canvas.paint(ellipse(cx, cy, rx + 0.012, ry + 0.012, angle), { colour: shade(MATERIALS.soil, 0.9), grain: 0.08 });
  canvas.paint(shape, { colour: waterColour(waterName), grain: 0.03, mottle: 0.06, patches: 0.05 });
  const mentions: Mention[] = [
    { kind: 'place', object: 'lake', place: placeOf(cx, cy), size: large ? 'large' : 'small' },
    { kind: 'colour', object: 'lake', colour: waterName },
  ];
  if (chance(rng, 0.5)) {
    for (const p of scatter(rng, 40, 0.045 * scale, [0, 0, 1, 1], (p) => shape.distance(p.x, p.y) > 0.03 && shape.distance(p.x, p.y) < 0.16 * scale)) tree(context, p.x, p.y, 0.024 * scale, colour('dark green'));
    mentions.push({ kind: 'relation', object: 'tree', relation: 'around', anchor: 'lake' });
  } else {
    const roofName = pick(rng, ['red', 'grey', 'white', 'blue'] as const);
    const houses = scatter(rng, 7, 0.12 * scale, [0.05, 0.05, 0.95, 0.95], (p) => shape.distance(p.x, p.y) > 0.06 * scale);
    for (const p of houses) building(context, p.x, p.y, 0.08 * scale, 0.06 * scale, 0, colour(roofName));
    if (houses.length > 0) mentions.push({ kind: 'amount', object: 'house', amount: houses.length >= 4 ? 'many' : 'few', colour: roofName });
    road(context, edgePath(rng, pick(rng, ['vertical', 'horizontal'] as const), 0.02, cx < 0.5 ? -0.3 : 0.3, 0.05), 0.02 * scale, false);
  }
  return mentions;
};
