import type { SeededRandom } from '@harma/core';
import type { ClipConfig } from './config';
import { ClipRootModule } from './clip-root-module';
import { VisionTransformer } from './vision-transformer';

/**
 * The parameter tree of open_clip's `CLIP` with a ViT image tower: `visual` is a
 * `VisionTransformer`, the text tower sits at the root (see `ClipRootModule`). Parameter names
 * are open_clip's state-dict keys.
 */
export class ClipModule extends ClipRootModule<VisionTransformer> {
  constructor(readonly config: ClipConfig, rng?: SeededRandom) {
    super(config, new VisionTransformer(config, rng?.derive('visual')), rng);
  }
}
