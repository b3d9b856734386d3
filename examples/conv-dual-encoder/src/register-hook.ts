// Imported for its effect: `node --import @harma-examples/conv-dual-encoder/register harma train ...`
// makes the `harma` CLI (and anything else in the process) know the `conv-dual-encoder` kind.
import { registerConvDualEncoderOnce } from './register';

registerConvDualEncoderOnce();
