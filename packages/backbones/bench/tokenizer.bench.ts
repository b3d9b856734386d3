// Tokenizer throughput: the 17,175 RSITMD training captions, against the 2 s target.
import { readFileSync } from 'node:fs';
import { ClipTokenizer, readBpeVocabulary } from '../src/tokenizer/index';
import { referenceFile, timed } from './reference';

const TARGET_SECONDS = 2;

const annotations = JSON.parse(readFileSync(referenceFile('datasets', 'annotations', 'rsitmd_train.json'), 'utf8')) as { caption: string }[];
const captions = annotations.map((row) => row.caption);
const load = await timed(() => readBpeVocabulary(referenceFile('vocab', 'bpe_simple_vocab_16e6.txt.gz')));
process.stdout.write(`vocabulary load (open_clip .txt.gz, 48,894 merges): ${load.seconds.toFixed(3)} s\n`);

// A fresh tokenizer has empty caches: the first pass is what a training run pays once.
const cold = new ClipTokenizer(load.result);
const first = await timed(() => cold.encode(captions));
const second = await timed(() => cold.encode(captions));
for (const [label, run] of [['cold (empty caches)', first], ['warm (cached words)', second]] as const) {
  process.stdout.write(
    `tokenize ${captions.length} captions, ${label}: ${run.seconds.toFixed(3)} s, ` +
      `${Math.round(captions.length / run.seconds)} captions/s, ${(run.seconds / TARGET_SECONDS).toFixed(3)}× the ${TARGET_SECONDS} s target\n`,
  );
}
if (first.result.length !== captions.length * 77) throw new Error('unexpected output size');
