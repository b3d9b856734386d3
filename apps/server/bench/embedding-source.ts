import { SeededRandom } from '@harma/core';

const CLUSTERS = 512;
const LATENT = 32;

/**
 * Synthetic embeddings shaped like real ones: unit vectors on a low-dimensional manifold (a 32-d
 * latent mapped into 512-d) around a few hundred cluster centres, plus a little isotropic noise.
 * Real embeddings have a low intrinsic dimension; isotropic 512-d noise would make every
 * neighbour equally far and nearest-neighbour search meaningless.
 */
export class EmbeddingSource {
  private readonly rng: SeededRandom;
  private readonly centres: Float32Array[];
  private readonly projection: Float32Array;
  private readonly dim: number;

  /** `dim` values per vector (512 like ViT-B/32); `seed` picks the stream (the centres are shared by every seed). */
  constructor(seed: string, dim = 512) {
    this.dim = dim;
    // Centres and projection come from one fixed seed: gallery and queries share the manifold.
    const world = new SeededRandom('embedding-world');
    this.centres = Array.from({ length: CLUSTERS }, () => this.unit(Float32Array.from({ length: this.dim }, () => world.normal())));
    this.projection = Float32Array.from({ length: this.dim * LATENT }, () => world.normal() / Math.sqrt(this.dim));
    this.rng = new SeededRandom(seed);
  }

  private unit(v: Float32Array): Float32Array {
    let norm = 0;
    for (const x of v) norm += x * x;
    norm = Math.sqrt(norm);
    for (let i = 0; i < v.length; i++) v[i] = (v[i] as number) / norm;
    return v;
  }

  next(): Float32Array {
    const centre = this.centres[Math.floor(this.rng.uniform() * CLUSTERS)] as Float32Array;
    const latent = Float32Array.from({ length: LATENT }, () => this.rng.normal() * 0.12);
    const v = new Float32Array(this.dim);
    for (let i = 0; i < this.dim; i++) {
      let offset = 0;
      for (let j = 0; j < LATENT; j++) offset += (this.projection[i * LATENT + j] as number) * (latent[j] as number);
      v[i] = (centre[i] as number) + offset + this.rng.normal() * 0.004;
    }
    return this.unit(v);
  }
}
