import { describe, expect, it } from 'vitest';
import { normalizeCaption } from '../captions/normalize-caption';
import { renderSyntheticScene } from './render-scene';
import { SCENE_CLASSES } from './scene-classes';
import { SOURCE_STYLE, TARGET_STYLE } from './styles';
import { syntheticVocabulary } from './vocabulary';

const SIZE = 48;
const render = (seed: string, sceneClass: (typeof SCENE_CLASSES)[number], style = SOURCE_STYLE) => renderSyntheticScene({ seed, sceneClass, style, size: SIZE });

describe('renderSyntheticScene', () => {
  it('draws at least 12 scene classes', () => {
    expect(SCENE_CLASSES.length).toBeGreaterThanOrEqual(12);
  });

  it('is deterministic for a seed and gives each class its label', () => {
    SCENE_CLASSES.forEach((sceneClass, label) => {
      const a = render(`det/${sceneClass}`, sceneClass);
      const b = render(`det/${sceneClass}`, sceneClass);
      expect(Buffer.from(a.image.data).equals(Buffer.from(b.image.data))).toBe(true);
      expect(a.captions).toEqual(b.captions);
      expect([a.image.width, a.image.height, a.image.data.length]).toEqual([SIZE, SIZE, SIZE * SIZE * 3]);
      expect(a.label).toBe(label);
      expect(render(`other/${sceneClass}`, sceneClass).image.data).not.toEqual(a.image.data);
    });
  });

  it('writes five different captions per image, each stating a fact, all within 30 words', () => {
    for (const style of [SOURCE_STYLE, TARGET_STYLE]) {
      for (const sceneClass of SCENE_CLASSES) {
        for (let k = 0; k < 5; k++) {
          const scene = render(`cap/${k}`, sceneClass, style);
          expect(scene.captions).toHaveLength(5);
          expect(new Set(scene.captions).size).toBe(5);
          expect(scene.mentions.length).toBeGreaterThanOrEqual(2);
          for (const caption of scene.captions) expect(normalizeCaption(caption).split(' ').length).toBeLessThanOrEqual(30);
        }
      }
    }
  });

  it('uses no word outside syntheticVocabulary()', () => {
    const vocabulary = new Set(syntheticVocabulary());
    const unknown = new Set<string>();
    for (const style of [SOURCE_STYLE, TARGET_STYLE]) {
      for (const sceneClass of SCENE_CLASSES) {
        for (let k = 0; k < 12; k++) {
          for (const caption of render(`voc/${k}`, sceneClass, style).captions) {
            for (const word of normalizeCaption(caption).split(' ')) if (!vocabulary.has(word)) unknown.add(word);
          }
        }
      }
    }
    expect([...unknown]).toEqual([]);
  });

  it('makes images distinguishable by their captions', () => {
    // 14 classes × 20 scenes: no two caption sets alike, and no caption shared by more than 3% of images.
    const sets = new Set<string>();
    const byCaption = new Map<string, number>();
    let images = 0;
    for (const sceneClass of SCENE_CLASSES) {
      for (let k = 0; k < 20; k++) {
        const captions = render(`dist/${k}`, sceneClass).captions.map((c) => normalizeCaption(c));
        sets.add([...captions].sort().join('|'));
        for (const caption of new Set(captions)) byCaption.set(caption, (byCaption.get(caption) ?? 0) + 1);
        images++;
      }
    }
    expect(sets.size).toBe(images);
    expect(Math.max(...byCaption.values()) / images).toBeLessThan(0.03);
  });

  it('puts the sea of a beach on the side its caption names', () => {
    let checked = 0;
    for (let k = 0; k < 16; k++) {
      const scene = renderSyntheticScene({ seed: `sea/${k}`, sceneClass: 'beach', style: SOURCE_STYLE, size: 64 });
      const sea = scene.mentions.find((m) => m.kind === 'place' && m.object === 'sea');
      if (sea?.kind !== 'place') throw new Error('a beach without a sea mention');
      // Share of water-blue pixels in each half of the image.
      const { data } = scene.image;
      const halves = { left: 0, right: 0, top: 0, bottom: 0 };
      for (let y = 0; y < 64; y++) {
        for (let x = 0; x < 64; x++) {
          const i = (y * 64 + x) * 3;
          if ((data[i + 2] as number) <= (data[i] as number) + 40) continue;
          halves[x < 32 ? 'left' : 'right']++;
          halves[y < 32 ? 'top' : 'bottom']++;
        }
      }
      const opposite = { left: 'right', right: 'left', top: 'bottom', bottom: 'top' } as const;
      const side = sea.place as keyof typeof opposite;
      expect(halves[side]).toBeGreaterThan(3 * halves[opposite[side]]);
      checked++;
    }
    expect(checked).toBe(16);
  });

  it('shifts colours, scale and wording in the target style', () => {
    let difference = 0;
    let targetWording = 0;
    let sourceWording = 0;
    const targetWords = /aerial|overhead|satellite|seen from above|top down|west|east|north|south/;
    for (const sceneClass of SCENE_CLASSES) {
      const source = render(`shift/${sceneClass}`, sceneClass);
      const target = render(`shift/${sceneClass}`, sceneClass, TARGET_STYLE);
      for (let i = 0; i < source.image.data.length; i++) difference += Math.abs((source.image.data[i] as number) - (target.image.data[i] as number));
      sourceWording += source.captions.filter((c) => targetWords.test(c)).length;
      targetWording += target.captions.filter((c) => targetWords.test(c)).length;
    }
    const total = SCENE_CLASSES.length * 5;
    expect(difference / (SCENE_CLASSES.length * SIZE * SIZE * 3)).toBeGreaterThan(20);
    expect(targetWording / total).toBeGreaterThan(0.6);
    expect(sourceWording / total).toBeLessThan(0.3);
  });
});
