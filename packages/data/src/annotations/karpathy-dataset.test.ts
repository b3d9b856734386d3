import { describe, expect, it } from 'vitest';
import { buildEvalAnnotations } from './eval-annotations';
import { splitCaptionDataset } from './karpathy-dataset';
import { buildTrainAnnotations } from './train-annotations';

const sentences = (...raw: string[]) => raw.map((text, i) => ({ raw: text, tokens: text.toLowerCase().split(' '), sentid: i }));

/** The layout of RSITMD's dataset_RSITMD.json and RSICD's dataset_rsicd.json. */
const dataset = {
  dataset: 'RSITMD',
  images: [
    { filename: 'airport_1.tif', imgid: 0, split: 'train', sentences: sentences('Planes near a terminal.', 'Two white planes.') },
    { filename: 'bridge_2.tif', imgid: 1, split: 'val', sentences: sentences('A bridge over a river.') },
    { filename: 'beach_3.tif', imgid: 2, split: 'test', sentences: sentences('Waves on a beach.', 'Yellow sand by the sea.') },
    { filename: 'farm_4.tif', filepath: 'extra/', imgid: 3, split: 'restval', sentences: sentences('Green fields.') },
  ],
};

describe('splitCaptionDataset', () => {
  it('writes the three HarMA/PIR files the readers take, keeping captions as written', () => {
    const split = splitCaptionDataset(dataset, 'dataset_RSITMD.json');
    expect(split.name).toBe('rsitmd');
    expect(split.train).toEqual([
      { caption: 'Planes near a terminal.', image: 'airport_1.tif', image_id: 0 },
      { caption: 'Two white planes.', image: 'airport_1.tif', image_id: 0 },
      { caption: 'Green fields.', image: 'extra/farm_4.tif', image_id: 3 },
    ]);
    expect(split.val).toEqual([{ image: 'bridge_2.tif', caption: ['A bridge over a river.'] }]);
    expect(split.test).toEqual([{ image: 'beach_3.tif', caption: ['Waves on a beach.', 'Yellow sand by the sea.'] }]);
    expect(buildTrainAnnotations([['train.json', split.train]]).images).toEqual(['airport_1.tif', 'extra/farm_4.tif']);
    expect(buildEvalAnnotations(split.test, 'test.json').img2txt).toEqual([[0, 1]]);
  });

  it('takes validation images from the training split, at random with a seed, when the file has none', () => {
    const noVal = { images: dataset.images.map((image) => (image.split === 'val' ? { ...image, split: 'train' } : image)) };
    expect(() => splitCaptionDataset(noVal, 'dataset_rsicd.json')).toThrow(/no image has split "val": choose how many training images validate \(valImages; harma split-annotations --val <n>\)/);
    const split = splitCaptionDataset(noVal, 'data/dataset_rsicd.json', { valImages: 1, seed: 3 });
    expect(split.name).toBe('rsicd');
    expect(split.val).toHaveLength(1);
    expect(new Set(split.train.map((e) => e.image)).size).toBe(2);
    expect(split.train.map((e) => e.image)).not.toContain(split.val[0]?.image);
    expect(splitCaptionDataset(noVal, 'd.json', { valImages: 1, seed: 3 })).toEqual({ ...split, name: 'd' });
    expect(() => splitCaptionDataset(noVal, 'd.json', { valImages: 3 })).toThrow(/leaves no training image/);
    expect(() => splitCaptionDataset(noVal, 'd.json', { valImages: Number('two') })).toThrow(/valImages must be a non-negative integer, got NaN/);
  });

  it('names the file and field of a malformed entry', () => {
    expect(() => splitCaptionDataset([], 'x.json')).toThrow(/^x\.json: expected an object with an "images" list/);
    expect(() => splitCaptionDataset({ images: [{ filename: 'a.tif', split: 'test', sentences: [] }] }, 'x.json')).toThrow(/^x\.json, field "images\[0\]\.sentences": must list at least one sentence/);
    expect(() => splitCaptionDataset({ images: [{ filename: 'a.tif', split: 'train', sentences: sentences('a') }] }, 'x.json')).toThrow(/no image has split "test"/);
  });
});
