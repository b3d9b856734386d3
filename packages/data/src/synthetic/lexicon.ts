import type { SceneClass } from './scene-classes';
import type { Amount, Direction, ObjectKind, Place, Relation, Size } from './mentions';

/**
 * Every phrase has three wordings. The source style says the first most of the time, the target
 * style the other two: the same world described by annotators with other habits. Both styles use
 * all three now and then, so every word occurs in both caption sets.
 */
export type Wordings = readonly [string, string, string];

export const SCENE_NAMES: Readonly<Record<SceneClass, Wordings>> = {
  farmland: ['farmland', 'cropland', 'farm'],
  forest: ['forest', 'woodland', 'wood'],
  river: ['river', 'river valley', 'riverside'],
  bridge: ['bridge', 'river crossing', 'overpass'],
  residential: ['residential area', 'neighbourhood', 'housing estate'],
  parking: ['parking lot', 'car park', 'parking area'],
  airport: ['airport', 'airfield', 'aerodrome'],
  beach: ['beach', 'coast', 'seashore'],
  port: ['port', 'harbour', 'dock'],
  industrial: ['industrial area', 'factory zone', 'industrial park'],
  baseballfield: ['baseball field', 'ballpark', 'baseball ground'],
  desert: ['desert', 'sand sea', 'wasteland'],
  lake: ['lake', 'pond', 'lakeside'],
  playground: ['playground', 'sports ground', 'stadium'],
};

/** [singular, plural] per wording. */
export const OBJECT_NAMES: Readonly<Record<ObjectKind, readonly [readonly [string, string], readonly [string, string], readonly [string, string]]>> = {
  building: [['building', 'buildings'], ['structure', 'structures'], ['block', 'blocks']],
  house: [['house', 'houses'], ['home', 'homes'], ['dwelling', 'dwellings']],
  row: [['row of houses', 'rows of houses'], ['line of homes', 'lines of homes'], ['terrace', 'terraces']],
  parkingRow: [['row of cars', 'rows of cars'], ['line of vehicles', 'lines of vehicles'], ['parking row', 'parking rows']],
  roof: [['roof', 'roofs'], ['rooftop', 'rooftops'], ['roof', 'roofs']],
  car: [['car', 'cars'], ['vehicle', 'vehicles'], ['automobile', 'automobiles']],
  plane: [['plane', 'planes'], ['aircraft', 'aircraft'], ['airplane', 'airplanes']],
  boat: [['boat', 'boats'], ['ship', 'ships'], ['vessel', 'vessels']],
  tank: [['storage tank', 'storage tanks'], ['oil tank', 'oil tanks'], ['silo', 'silos']],
  field: [['field', 'fields'], ['plot', 'plots'], ['parcel', 'parcels']],
  tree: [['tree', 'trees'], ['bush', 'bushes'], ['tree crown', 'tree crowns']],
  river: [['river', 'rivers'], ['waterway', 'waterways'], ['stream', 'streams']],
  road: [['road', 'roads'], ['street', 'streets'], ['highway', 'highways']],
  bridge: [['bridge', 'bridges'], ['overpass', 'overpasses'], ['crossing', 'crossings']],
  runway: [['runway', 'runways'], ['airstrip', 'airstrips'], ['landing strip', 'landing strips']],
  pier: [['pier', 'piers'], ['jetty', 'jetties'], ['wharf', 'wharves']],
  container: [['container', 'containers'], ['cargo box', 'cargo boxes'], ['crate', 'crates']],
  lake: [['lake', 'lakes'], ['pond', 'ponds'], ['reservoir', 'reservoirs']],
  sea: [['sea', 'seas'], ['ocean', 'oceans'], ['open water', 'open waters']],
  beach: [['beach', 'beaches'], ['shore', 'shores'], ['sandy strip', 'sandy strips']],
  dune: [['dune', 'dunes'], ['sand ridge', 'sand ridges'], ['ridge', 'ridges']],
  track: [['running track', 'running tracks'], ['racetrack', 'racetracks'], ['oval track', 'oval tracks']],
  diamond: [['baseball diamond', 'baseball diamonds'], ['ball field', 'ball fields'], ['diamond', 'diamonds']],
  terminal: [['terminal', 'terminals'], ['terminal building', 'terminal buildings'], ['hall', 'halls']],
  clearing: [['clearing', 'clearings'], ['open area', 'open areas'], ['gap', 'gaps']],
  farmhouse: [['farmhouse', 'farmhouses'], ['barn', 'barns'], ['cottage', 'cottages']],
  sand: [['sand', 'sand'], ['soil', 'soil'], ['ground', 'ground']],
  lawn: [['lawn', 'lawns'], ['grass', 'grass'], ['turf', 'turf']],
};

/** Where things are: image sides for the source wording, compass points for the others. */
export const PLACE_NAMES: Readonly<Record<Place, Wordings>> = {
  left: ['on the left', 'on the west side', 'in the west'],
  right: ['on the right', 'on the east side', 'in the east'],
  top: ['at the top', 'on the north side', 'in the north'],
  bottom: ['at the bottom', 'on the south side', 'in the south'],
  centre: ['in the middle', 'in the centre', 'at the center'],
  'top left': ['in the top left corner', 'in the north west corner', 'in the northwest'],
  'top right': ['in the top right corner', 'in the north east corner', 'in the northeast'],
  'bottom left': ['in the bottom left corner', 'in the south west corner', 'in the southwest'],
  'bottom right': ['in the bottom right corner', 'in the south east corner', 'in the southeast'],
};

export const DIRECTION_NAMES: Readonly<Record<Direction, Wordings>> = {
  vertical: ['from top to bottom', 'from north to south', 'north to south'],
  horizontal: ['from left to right', 'from west to east', 'east to west'],
  diagonal: ['diagonally', 'from corner to corner', 'obliquely'],
};

export const RELATION_NAMES: Readonly<Record<Relation, Wordings>> = {
  beside: ['beside', 'next to', 'adjacent to'],
  along: ['along', 'lining', 'by'],
  around: ['around', 'surrounding', 'encircling'],
  across: ['across', 'spanning', 'over'],
  'on both sides of': ['on both sides of', 'flanking', 'on either side of'],
  near: ['near', 'close to', 'by'],
};

export const AMOUNT_NAMES: Readonly<Record<Amount, Wordings>> = {
  few: ['a few', 'several', 'some'],
  many: ['many', 'lots of', 'numerous'],
};

export const SIZE_NAMES: Readonly<Record<Size, Wordings>> = {
  small: ['small', 'little', 'tiny'],
  large: ['large', 'big', 'huge'],
  narrow: ['narrow', 'thin', 'slim'],
  wide: ['wide', 'broad', 'large'],
};

export const NUMBER_WORDS = ['no', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten'] as const;
