import type { ScenePainter } from './kit';
import { airport, industrial, parkingLot, residential } from './scenes/built';
import { baseballField, desert, farmland, forest, playground } from './scenes/land';
import { beach, bridge, lake, port, riverScene } from './scenes/water';

/** The scene classes of the synthetic world, in label order. */
export const SCENE_CLASSES = [
  'farmland',
  'forest',
  'river',
  'bridge',
  'residential',
  'parking',
  'airport',
  'beach',
  'port',
  'industrial',
  'baseballfield',
  'desert',
  'lake',
  'playground',
] as const;

export type SceneClass = (typeof SCENE_CLASSES)[number];

export const SCENE_PAINTERS: Readonly<Record<SceneClass, ScenePainter>> = {
  farmland,
  forest,
  river: riverScene,
  bridge,
  residential,
  parking: parkingLot,
  airport,
  beach,
  port,
  industrial,
  baseballfield: baseballField,
  desert,
  lake,
  playground,
};
