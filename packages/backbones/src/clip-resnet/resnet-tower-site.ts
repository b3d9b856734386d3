import type { Module } from '@harma/core';
import { ClipTowerSite } from '../clip/tower-sites';

/**
 * CLIP ResNet's image tower seen through the plug-in contract: no transformer blocks, so no
 * adapter sites (the official HarMA attaches nothing to it), the output transform of every tower,
 * and `batchDependent` while its BatchNorm layers normalise with batch statistics.
 */
export class ResNetTowerSite extends ClipTowerSite {
  readonly #batchDependent: () => boolean;

  constructor(width: number, embedDim: number, module: Module, batchDependent: () => boolean) {
    super('vision', width, embedDim, 'visual', module, [], 0);
    this.#batchDependent = batchDependent;
  }

  get batchDependent(): boolean {
    return this.#batchDependent();
  }
}
