import type { SeededRandom } from '@harma/core';
import { AMOUNT_NAMES, DIRECTION_NAMES, NUMBER_WORDS, OBJECT_NAMES, PLACE_NAMES, RELATION_NAMES, SCENE_NAMES, SIZE_NAMES, type Wordings } from './lexicon';
import type { Mention, ObjectKind } from './mentions';
import type { SceneClass } from './scene-classes';

/** Which annotators' habits captions follow. */
export type CaptionHabit = 'source' | 'target';

export interface CaptionPhrasing {
  habit: CaptionHabit;
  /** Chance that one caption follows the other habit instead (default 0.1). */
  crossover?: number;
}

/** Things named in the singular when their colour is stated ("the river is green"). */
const SINGULAR: ReadonlySet<ObjectKind> = new Set(['river', 'lake', 'sea', 'beach', 'track', 'runway', 'terminal', 'clearing', 'farmhouse']);
/** Mass nouns: no article, no plural ("yellow sand"). */
const MASS: ReadonlySet<ObjectKind> = new Set(['sand', 'lawn']);

class Speaker {
  constructor(
    readonly rng: SeededRandom,
    readonly habit: CaptionHabit,
  ) {}

  /** Source habit: the first wording 80% of the time; target habit: the other two 90%. */
  index(): 0 | 1 | 2 {
    const u = this.rng.next();
    if (this.habit === 'source') return u < 0.8 ? 0 : u < 0.9 ? 1 : 2;
    return u < 0.1 ? 0 : u < 0.55 ? 1 : 2;
  }

  say(wordings: Wordings): string {
    return wordings[this.index()];
  }

  noun(kind: ObjectKind, plural: boolean): string {
    const forms = OBJECT_NAMES[kind][this.index()];
    return plural ? forms[1] : forms[0];
  }

  pick<T>(items: readonly T[]): T {
    return items[this.rng.int(items.length)] as T;
  }
}

function article(phrase: string): string {
  return /^[aeiou]/.test(phrase) ? `an ${phrase}` : `a ${phrase}`;
}

function join(...parts: Array<string | undefined>): string {
  return parts.filter((part) => part !== undefined && part.length > 0).join(' ');
}

/** The mention as a noun phrase: "three white planes", "a wide green river running from top to bottom". */
function nounPhrase(s: Speaker, m: Mention): string {
  switch (m.kind) {
    case 'count': {
      const plural = m.count !== 1;
      const number = m.count === 1 && s.habit === 'source' && s.rng.next() < 0.5 ? 'a' : NUMBER_WORDS[Math.min(m.count, 10)];
      return join(number, m.colour, s.noun(m.object, plural), m.place && s.say(PLACE_NAMES[m.place]));
    }
    case 'amount':
      return join(s.say(AMOUNT_NAMES[m.amount]), m.colour, s.noun(m.object, true), m.place && s.say(PLACE_NAMES[m.place]));
    case 'colour': {
      const colours = m.second === undefined ? m.colour : `${m.colour} and ${m.second}`;
      if (MASS.has(m.object)) return join(colours, s.noun(m.object, false));
      if (SINGULAR.has(m.object)) return article(join(colours, s.noun(m.object, false)));
      return join(colours, s.noun(m.object, true));
    }
    case 'place':
      return join(article(join(m.size && s.say(SIZE_NAMES[m.size]), m.colour, s.noun(m.object, false))), s.say(PLACE_NAMES[m.place]));
    case 'direction': {
      const verb = s.habit === 'source' ? 'running' : s.pick(['stretching', 'extending']);
      return join(article(join(m.size && s.say(SIZE_NAMES[m.size]), m.colour, s.noun(m.object, false))), verb, s.say(DIRECTION_NAMES[m.direction]));
    }
    case 'relation':
      return join(s.noun(m.object, true), s.say(RELATION_NAMES[m.relation]), 'the', s.noun(m.anchor, false));
  }
}

/** The mention as a sentence: "there are three white planes", "the roofs are red". */
function sentence(s: Speaker, m: Mention): string {
  const source = s.habit === 'source';
  switch (m.kind) {
    case 'count':
    case 'amount': {
      const plural = m.kind === 'amount' || m.count !== 1;
      if (source) return join(plural ? 'there are' : 'there is', nounPhrase(s, m));
      return join(nounPhrase(s, m), s.pick(plural ? ['are visible', 'can be seen'] : ['is visible', 'can be seen']));
    }
    case 'colour': {
      const colours = m.second === undefined ? m.colour : `${m.colour} and ${m.second}`;
      const singular = MASS.has(m.object) || SINGULAR.has(m.object);
      const noun = s.noun(m.object, !singular);
      if (source) return join('the', noun, singular ? 'is' : 'are', colours);
      return join('the', noun, singular ? s.pick(['looks', 'appears']) : s.pick(['look', 'appear']), colours);
    }
    case 'place': {
      const thing = article(join(m.size && s.say(SIZE_NAMES[m.size]), m.colour, s.noun(m.object, false)));
      const where = s.say(PLACE_NAMES[m.place]);
      if (source) return s.rng.next() < 0.5 ? join(thing, 'is', where) : join('there is', thing, where);
      return s.rng.next() < 0.5 ? join(where, 'lies', thing) : join(thing, 'is located', where);
    }
    case 'direction': {
      const thing = article(join(m.size && s.say(SIZE_NAMES[m.size]), m.colour, s.noun(m.object, false)));
      const direction = s.say(DIRECTION_NAMES[m.direction]);
      return source ? join(thing, 'runs', direction) : join(thing, s.pick(['crosses the scene', 'stretches']), direction);
    }
    case 'relation': {
      const things = s.noun(m.object, true);
      const where = join(s.say(RELATION_NAMES[m.relation]), 'the', s.noun(m.anchor, false));
      return source ? join(things, 'are', where) : join(things, 'are seen', where);
    }
  }
}

interface Template {
  /** How many facts it states. */
  facts: 1 | 2;
  write(s: Speaker, scene: string, first: Mention, second: Mention): string;
}

// Templates that name the scene, and templates that only state facts, per habit.
const SCENE_TEMPLATES: Record<CaptionHabit, readonly Template[]> = {
  source: [
    { facts: 1, write: (s, scene, a) => `${article(scene)} with ${nounPhrase(s, a)}` },
    { facts: 1, write: (s, scene, a) => `this is ${article(scene)} and ${sentence(s, a)}` },
    { facts: 1, write: (s, scene, a) => `in this ${scene} ${sentence(s, a)}` },
    { facts: 2, write: (s, scene, a, b) => `${article(scene)} with ${nounPhrase(s, a)} and ${nounPhrase(s, b)}` },
  ],
  target: [
    { facts: 1, write: (s, scene, a) => `aerial view of ${article(scene)} with ${nounPhrase(s, a)}` },
    { facts: 1, write: (s, scene, a) => `satellite image of ${article(scene)} where ${sentence(s, a)}` },
    { facts: 1, write: (s, scene, a) => `${sentence(s, a)} in this overhead image of ${article(scene)}` },
    { facts: 2, write: (s, scene, a, b) => `${article(scene)} seen from above with ${nounPhrase(s, a)} and ${nounPhrase(s, b)}` },
  ],
};

const FACT_TEMPLATES: Record<CaptionHabit, readonly Template[]> = {
  source: [
    { facts: 1, write: (s, _scene, a) => sentence(s, a) },
    { facts: 2, write: (s, _scene, a, b) => `${sentence(s, a)} and ${sentence(s, b)}` },
  ],
  target: [
    { facts: 1, write: (s, _scene, a) => `overhead image showing ${nounPhrase(s, a)}` },
    { facts: 2, write: (s, _scene, a, b) => `top down view: ${nounPhrase(s, a)}, ${nounPhrase(s, b)}` },
  ],
};

/**
 * Five (or `count`) different captions of one scene from the facts its painter reported: the
 * first, third and fifth name the scene class, every caption states at least one fact, and the
 * facts are spread over the captions.
 */
export function writeCaptions(sceneClass: SceneClass, mentions: readonly Mention[], rng: SeededRandom, phrasing: CaptionPhrasing, count = 5): string[] {
  if (mentions.length === 0) throw new Error(`no facts to caption for a ${sceneClass} scene`);
  const crossover = phrasing.crossover ?? 0.1;
  const offset = rng.int(mentions.length);
  const fact = (k: number): Mention => mentions[(offset + k) % mentions.length] as Mention;
  const captions: string[] = [];
  for (let attempt = 0; captions.length < count; attempt++) {
    const habit: CaptionHabit = rng.next() < crossover ? (phrasing.habit === 'source' ? 'target' : 'source') : phrasing.habit;
    const speaker = new Speaker(rng, habit);
    const namesScene = captions.length % 2 === 0 || attempt >= count * 4;
    const templates = (namesScene ? SCENE_TEMPLATES : FACT_TEMPLATES)[habit].filter((t) => t.facts <= mentions.length);
    const template = speaker.pick(templates);
    const scene = speaker.say(SCENE_NAMES[sceneClass]);
    const k = captions.length + Math.floor(attempt / count);
    const caption = template.write(speaker, scene, fact(k), fact(k + 1));
    // Identical captions of one image say nothing new; draw again (a bounded number of times).
    if (!captions.includes(caption) || attempt >= count * 8) captions.push(caption);
  }
  return captions;
}
