import sharp from 'sharp';
import { writeScene, type SceneTask } from '../synthetic/write-scene';

// One libvips thread per worker: the pool already spreads work over the cores.
sharp.concurrency(1);

/** Piscina entry: draw and write one synthetic scene. */
export default function renderSceneTask(task: SceneTask): Promise<string[]> {
  return writeScene(task);
}
