import { describe, expect, it } from 'vitest';
import { isBad } from './badness';
import { fixEncoding } from './fix-encoding';
import { fixText } from './fix-text';

/** UTF-8 bytes of `text` read back in a single-byte encoding: the usual way mojibake is made. */
function mojibake(text: string, encoding: 'windows-1252' | 'latin-1' | 'macintosh'): string {
  const bytes = new TextEncoder().encode(text);
  // WHATWG's windows-1252 decoder passes the five undefined bytes through as C1 controls, like ftfy's sloppy codec.
  return encoding === 'latin-1' ? String.fromCharCode(...bytes) : new TextDecoder(encoding).decode(bytes);
}

describe('fixText: mojibake repair', () => {
  it.each([
    'Zürich, São Paulo and Kraków seen from a satellite',
    'crème brûlée, naïve façade, résumé',
    'an airport — “terminal 2” is north of the runway',
    'große Brücke über den Fluss',
    'Ελληνικά γράμματα',
  ])('undoes UTF-8 read as Windows-1252: %s', (text) => {
    const broken = mojibake(text, 'windows-1252');
    expect(broken).not.toBe(text);
    expect(fixEncoding(broken)).toBe(text);
  });

  it.each(['Zürich, São Paulo and Kraków seen from a satellite', 'Ελληνικά γράμματα στο νησί'])('undoes UTF-8 read as Latin-1: %s', (text) => {
    expect(fixEncoding(mojibake(text, 'latin-1'))).toBe(text);
  });

  it('undoes UTF-8 read as MacRoman', () => {
    expect(fixEncoding(mojibake('Ålesund harbour, façade', 'macintosh'))).toBe('Ålesund harbour, façade');
  });

  it('undoes two layers of mojibake', () => {
    expect(fixEncoding(mojibake(mojibake('Zürich café', 'windows-1252'), 'windows-1252'))).toBe('Zürich café');
  });

  it('fixes mojibake embedded in otherwise correct text', () => {
    // "é" is correct, the quotes are UTF-8 read as Windows-1252: no single re-decoding fits the whole.
    expect(fixText(`café ${mojibake('“north”', 'windows-1252')} side`)).toBe('café "north" side');
  });

  it('turns sequences that lost bytes to U+FFFD into one U+FFFD', () => {
    expect(fixText('â€œlossyâ€\ufffd')).toBe('"lossy\ufffd');
  });

  it('reads leftover C1 controls as Windows-1252', () => {
    expect(fixText('price \u0080 5 \u0085')).toBe('price € 5 …');
  });

  it.each([
    'café',
    'naïve Zürich résumé',
    'São Paulo',
    '10 °C and 5 m²',
    'ŁÓDŹ',
    'Ålesund',
    'crème brûlée',
    '½ km',
    'a radius of 10 Å',
    'ВІКІ',
    'Ελληνικά',
    '遥感图像 remote sensing',
  ])('leaves correct text alone: %s', (text) => {
    expect(fixText(text)).toBe(text);
  });

  it('judges mojibake, not accents, as bad', () => {
    expect(isBad('cafÃ©')).toBe(true);
    expect(isBad('café')).toBe(false);
    expect(isBad('Ã\u00a0 la')).toBe(true);
  });
});

describe('fixText: character fixes', () => {
  it('straightens curly quotes', () => {
    expect(fixText('“smart” ‘quotes’ and it’s')).toBe('"smart" \'quotes\' and it\'s');
  });

  it('maps fullwidth forms and the ideographic space to ASCII, halfwidth katakana to fullwidth', () => {
    expect(fixText('ＡＢＣ　１２３')).toBe('ABC 123');
    expect(fixText('ｶﾀｶﾅ')).toBe('カタカナ');
  });

  it('splits Latin ligatures only', () => {
    expect(fixText('ﬁeld ﬂow ﬀ')).toBe('field flow ff');
  });

  it('unifies line breaks', () => {
    expect(fixText('a\r\nb\rc\u2028d\u2029e')).toBe('a\nb\nc\nd\ne');
  });

  it('removes invisible control characters but keeps tab and newline', () => {
    expect(fixText('a\u0000b\u0007c\ufeffd\te\nf\u206ag')).toBe('abcd\te\nfg');
  });

  it('removes terminal colour escapes', () => {
    expect(fixText('\u001b[31mred\u001b[0m roof')).toBe('red roof');
  });

  it('replaces lone surrogates and keeps pairs', () => {
    expect(fixText('a\ud800b \ud83c\udf0d')).toBe('a\ufffdb \ud83c\udf0d');
  });

  it('normalises to NFC', () => {
    expect(fixText('e\u0301')).toBe('é');
  });
});

describe('fixText: HTML entities', () => {
  it('decodes entities repeatedly until stable', () => {
    expect(fixText('fish &amp; chips &amp;amp; &lt;b&gt;')).toBe('fish & chips & <b>');
  });

  it('leaves entities alone in a line holding a literal <, and in every line after it', () => {
    expect(fixText('<b>&amp;</b>')).toBe('<b>&amp;</b>');
    expect(fixText('x &amp; y\n<b> &amp;\nz &amp;')).toBe('x & y\n<b> &amp;\nz &amp;');
  });

  it('decodes only references that end in a semicolon', () => {
    expect(fixText('this&not that &not; &amp')).toBe('this&not that ¬ &amp');
  });
});
