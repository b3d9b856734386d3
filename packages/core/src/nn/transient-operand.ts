import * as tf from '@tensorflow/tfjs-core';
import { productsOnXnnpack } from '../runtime/product-engine';

/**
 * `b` ready to be the right-hand operand of a 2-D matMul without XNNPACK keeping a copy of it.
 *
 * The wasm backend hands every flag-free 2-D product to XNNPACK, which packs the right-hand
 * operand and caches the packed copy for as long as that tensor lives (tfjs assumes it is a
 * weight). For a long-lived tensor — a weight, its cached transpose, an activation saved for the
 * backward pass — that is one more full copy of it per product it appears in: a frozen ViT-B/32
 * held its linear weights four times and outgrew the 4 GiB wasm heap during training. A transient
 * copy (one elementwise pass, well under 1% of the product) is packed instead and freed with the
 * product; measured on ViT-B/32 shapes the products run as fast. Other engines (ONNX Runtime's
 * products, other backends) cache nothing and get `b` itself.
 * Call inside a `tf.tidy` (the copy is an ordinary tensor).
 */
export function transientOperand(b: tf.Tensor): tf.Tensor {
  return productsOnXnnpack() ? tf.add(b, 0) : b;
}
