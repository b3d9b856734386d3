import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeWithReferenceData } from '@harma/test-support';
import { AnnotationError } from './annotation-error';
import { buildEvalAnnotations, readEvalAnnotations } from './eval-annotations';
import { buildTrainAnnotations, readTrainAnnotations } from './train-annotations';

const scratch = mkdtempSync(path.join(tmpdir(), 'harma-annotations-'));
function writeJson(name: string, text: string): string {
  const file = path.join(scratch, name);
  writeFileSync(file, text);
  return file;
}

describe('training annotations', () => {
  const entries = [
    { caption: 'A Bridge.', image: 'train/b_1.tif', image_id: 7, label: 0, label_name: 'bridge' },
    { caption: 'river-side', image: 'train/b_1.tif', image_id: 7 },
    { caption: 'a lake', image: 'train/l_2.tif', image_id: 3 },
    { caption: 'calm lake', image: 'train/l_2.tif', image_id: 3 },
  ];

  it('normalises captions and gives dense image indices by first appearance', () => {
    const train = buildTrainAnnotations([['a.json', entries]]);
    expect(train.captions.map((c) => c.caption)).toEqual(['a bridge', 'river side', 'a lake', 'calm lake']);
    expect(train.captions.map((c) => c.imageIndex)).toEqual([0, 0, 1, 1]);
    expect(train.images).toEqual(['train/b_1.tif', 'train/l_2.tif']);
    expect(train.captions[0]).toMatchObject({ label: 0, labelName: 'bridge', imageId: 7, raw: 'A Bridge.', file: 'a.json', entry: 0 });
  });

  it('concatenates several files, merging images by image_id as the paper does', () => {
    const more = [{ caption: 'x', image: 'train/l_2.tif', image_id: 3 }, { caption: 'y', image: 'train/z.tif', image_id: 9 }];
    const train = buildTrainAnnotations([['a.json', entries], ['b.json', more]]);
    expect(train.captions.map((c) => c.imageIndex)).toEqual([0, 0, 1, 1, 1, 2]);
    expect(train.captions[5]).toMatchObject({ file: 'b.json', entry: 1 });
  });

  it('refuses an image_id naming two images unless images are keyed by path', () => {
    const clash = [{ caption: 'x', image: 'train/other.tif', image_id: 7 }];
    expect(() => buildTrainAnnotations([['a.json', entries], ['b.json', clash]])).toThrow(/b\.json, entry 0, field "image_id".*a\.json entry 0/);
    // The advice names the option in both places it can be given.
    expect(() => buildTrainAnnotations([['a.json', entries], ['b.json', clash]])).toThrow(/pass the option imageKey: 'image' \(in a harma run config: data\.imageKey: image\)/);
    const byPath = buildTrainAnnotations([['a.json', entries], ['b.json', clash]], { imageKey: 'image' });
    expect(byPath.captions[4]?.imageIndex).toBe(2);
  });

  it('names the file, entry and field of a malformed entry', () => {
    const bad = [...entries.slice(0, 2), { caption: 42, image: 'train/q.tif', image_id: 1 }];
    expect(() => buildTrainAnnotations([['t.json', bad]])).toThrow(AnnotationError);
    expect(() => buildTrainAnnotations([['t.json', bad]])).toThrow(/^t\.json, entry 2, field "caption": Expected string, received number/);
    expect(() => buildTrainAnnotations([['t.json', [{ caption: 'x', image: 'a.tif' }]]])).toThrow(/entry 0, field "image_id": Required/);
    expect(() => buildTrainAnnotations([['t.json', [{ caption: '?!', image: 'a.tif', image_id: 1 }]]])).toThrow(/t\.json, entry 0, field "caption": .*empty after normalisation/);
    expect(() => buildTrainAnnotations([['t.json', { caption: 'x' }]])).toThrow(/^t\.json: expected a JSON array/);
  });

  it('reports JSON syntax errors and missing files with the path', async () => {
    const broken = writeJson('broken.json', '[{"caption": "a",\n "image": }]');
    await expect(readTrainAnnotations(broken)).rejects.toThrow(new RegExp(`^${broken.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: not valid JSON \\(line 2, column`));
    await expect(readTrainAnnotations(path.join(scratch, 'absent.json'))).rejects.toThrow(/absent\.json: cannot read the annotation file/);
  });
});

describe('evaluation annotations', () => {
  it('builds img2txt and txt2img in file order', () => {
    const json = [
      { image: 'test/a.tif', caption: ['one.', 'Two', 'three'] },
      { image: 'test/b.tif', caption: ['four', 'five'], label: 3, label_name: 'port' },
    ];
    const evalSet = buildEvalAnnotations(json, 'e.json');
    expect(evalSet.img2txt).toEqual([[0, 1, 2], [3, 4]]);
    expect(evalSet.txt2img).toEqual([0, 0, 0, 1, 1]);
    expect(evalSet.captions).toEqual(['one', 'two', 'three', 'four', 'five']);
    expect(evalSet.labels).toEqual([undefined, 3]);
    expect(evalSet.labelNames).toEqual([undefined, 'port']);
  });

  it('names the entry and caption index of a problem', () => {
    expect(() => buildEvalAnnotations([{ image: 'a', caption: ['x'] }, { image: 'b', caption: ['ok', 5] }], 'e.json')).toThrow(/^e\.json, entry 1, field "caption\[1\]": Expected string/);
    expect(() => buildEvalAnnotations([{ image: 'a', caption: ['x', '...'] }], 'e.json')).toThrow(/^e\.json, entry 0, field "caption\[1\]": .*empty/);
    expect(() => buildEvalAnnotations([{ image: '', caption: ['x'] }], 'e.json')).toThrow(/entry 0, field "image": must be a non-empty image path/);
    expect(() => buildEvalAnnotations([{ image: 'a', caption: [] }], 'e.json')).toThrow(/field "caption": must list at least one caption/);
  });
});

describeWithReferenceData('the real RSITMD / RSICD annotation files', (dir) => {
  const file = (name: string): string => path.join(dir, 'datasets', 'annotations', name);

  it('rsitmd train: 17,175 captions of 3,435 images', async () => {
    const train = await readTrainAnnotations(file('rsitmd_train.json'));
    expect(train.captions).toHaveLength(17175);
    expect(train.images).toHaveLength(3435);
    expect(new Set(train.captions.map((c) => c.imageIndex)).size).toBe(3435);
    expect(train.captions[0]).toMatchObject({ image: 'train/bridge_942.tif', imageId: 539, imageIndex: 0, labelName: 'bridge', label: 0 });
    expect(train.captions[0]?.caption).toBe('the river banks decorated with trees grass and houses are connected by bridges');
  });

  it('two training files concatenate (the same file twice merges its image ids)', async () => {
    const twice = await readTrainAnnotations([file('rsitmd_train.json'), file('rsitmd_train.json')]);
    expect(twice.captions).toHaveLength(34350);
    expect(twice.images).toHaveLength(3435);
  });

  it.each([
    ['rsitmd_val.json', 856, 4280],
    ['rsitmd_test.json', 452, 2260],
    ['rsicd_val.json', 1966, 9830],
    ['rsicd_test.json', 1093, 5465],
  ])('%s: %i images, %i captions, consistent maps', async (name, images, captions) => {
    const evalSet = await readEvalAnnotations(file(name));
    expect(evalSet.images).toHaveLength(images);
    expect(evalSet.captions).toHaveLength(captions);
    expect(evalSet.txt2img).toHaveLength(captions);
    expect(evalSet.img2txt).toHaveLength(images);
    expect(evalSet.img2txt[1]).toEqual([5, 6, 7, 8, 9]);
    evalSet.img2txt.forEach((list, image) => list.forEach((caption) => expect(evalSet.txt2img[caption]).toBe(image)));
  });
});
