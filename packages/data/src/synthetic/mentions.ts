import type { ColourName } from './palette';

/** Things a caption can name. */
export type ObjectKind =
  | 'building' | 'house' | 'row' | 'parkingRow' | 'roof' | 'car' | 'plane' | 'boat' | 'tank' | 'field' | 'tree' | 'river' | 'road'
  | 'bridge' | 'runway' | 'pier' | 'container' | 'lake' | 'sea' | 'beach' | 'dune' | 'track' | 'diamond'
  | 'terminal' | 'clearing' | 'farmhouse' | 'sand' | 'lawn';

/** Where in the image: thirds of each axis. */
export type Place = 'left' | 'right' | 'top' | 'bottom' | 'centre' | 'top left' | 'top right' | 'bottom left' | 'bottom right';
export type Direction = 'vertical' | 'horizontal' | 'diagonal';
export type Relation = 'beside' | 'along' | 'around' | 'across' | 'on both sides of' | 'near';
export type Amount = 'few' | 'many';
export type Size = 'small' | 'large' | 'narrow' | 'wide';

/** One fact about what was drawn, which the caption grammar can put into words. */
export type Mention =
  | { kind: 'count'; object: ObjectKind; count: number; colour?: ColourName; place?: Place }
  | { kind: 'amount'; object: ObjectKind; amount: Amount; colour?: ColourName; place?: Place }
  | { kind: 'colour'; object: ObjectKind; colour: ColourName; second?: ColourName }
  | { kind: 'place'; object: ObjectKind; place: Place; colour?: ColourName; size?: Size }
  | { kind: 'direction'; object: ObjectKind; direction: Direction; colour?: ColourName; size?: Size }
  | { kind: 'relation'; object: ObjectKind; relation: Relation; anchor: ObjectKind };

/** The place word for a point in scene coordinates (thirds of each axis). */
export function placeOf(x: number, y: number): Place {
  const column = x < 0.36 ? 'left' : x > 0.64 ? 'right' : '';
  const row = y < 0.36 ? 'top' : y > 0.64 ? 'bottom' : '';
  if (row !== '' && column !== '') return `${row} ${column}` as Place;
  return (row || column || 'centre') as Place;
}
