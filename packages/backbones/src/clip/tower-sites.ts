import type {
  AttentionProjectionDelta,
  BlockSite,
  MlpTransform,
  Module,
  OutputTransform,
  Parameter,
  TowerName,
  TowerSite,
} from '@harma/core';
import type { ResidualAttentionBlock } from './residual-block';

/** A CLIP block seen through the plug-in contract: adapters reach the block only through this. */
export class ClipBlockSite implements BlockSite {
  readonly layout = 'batch-first' as const;
  readonly width: number;
  readonly heads: number;
  readonly attentionInProjection: { readonly weight: Parameter; readonly bias: Parameter | undefined };

  constructor(
    readonly tower: TowerName,
    readonly index: number,
    readonly tokens: number,
    readonly path: string,
    readonly block: ResidualAttentionBlock,
  ) {
    this.width = block.options.width;
    this.heads = block.options.heads;
    this.attentionInProjection = { weight: block.attn.inProjWeight, bias: block.attn.inProjBias };
  }

  setMlpTransform(transform: MlpTransform | undefined): void {
    this.block.mlpTransform = transform;
  }

  setAttentionProjectionDelta(delta: AttentionProjectionDelta | undefined): void {
    this.block.attn.projectionDelta = delta;
  }
}

/** One CLIP tower seen through the plug-in contract. */
export class ClipTowerSite implements TowerSite {
  readonly blocks: readonly ClipBlockSite[];
  /** Applied to the tower's projected features before normalisation, when set. */
  outputTransform: OutputTransform | undefined;

  constructor(
    readonly name: TowerName,
    readonly width: number,
    readonly embedDim: number,
    readonly path: string,
    readonly module: Module,
    blocks: readonly ResidualAttentionBlock[],
    tokens: number,
  ) {
    const prefix = path === '' ? 'transformer.resblocks' : `${path}.transformer.resblocks`;
    this.blocks = blocks.map((block, index) => new ClipBlockSite(name, index, tokens, `${prefix}.${index}`, block));
  }

  setOutputTransform(transform: OutputTransform | undefined): void {
    this.outputTransform = transform;
  }
}
