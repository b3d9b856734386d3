import type { SeededRandom } from '@harma/core';
import { ClipRootModule } from '../clip/clip-root-module';
import type { ClipResNetConfig } from './config';
import { ModifiedResNet } from './modified-resnet';

/**
 * The parameter tree of open_clip's `CLIP` with a ModifiedResNet image tower: `visual` is the
 * ResNet (parameters and BatchNorm buffers), the text tower sits at the root as in every CLIP
 * (see `ClipRootModule`). Names are open_clip's state-dict keys.
 */
export class ClipResNetModule extends ClipRootModule<ModifiedResNet> {
  constructor(readonly config: ClipResNetConfig, rng?: SeededRandom) {
    super(config, new ModifiedResNet(config, rng?.derive('visual')), rng);
  }
}
