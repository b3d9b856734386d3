import { describe, expect, it } from 'vitest';
import { ftfyUnescapeHtml, htmlUnescape } from './html-entities';

describe("htmlUnescape (Python's html.unescape)", () => {
  it.each([
    ['&amp;', '&'],
    ['&lt;b&gt;', '<b>'],
    ['&amp;amp;', '&amp;'],
    ['&ampx', '&x'],
    ['&notin', '¬in'],
    ['&notin;', '∉'],
    ['&unknown;', '&unknown;'],
    ['&#65;&#x42;&#X43', 'ABC'],
    ['&#0;', '\ufffd'],
    ['&#13;', '\r'],
    ['&#128;&#x9d;', '€\u009d'],
    ['&#1;&#x7f;&#xfffe;', ''],
    ['&#xd800;&#x110000;', '\ufffd\ufffd'],
    ['&#128512;', '😀'],
    ['no entity', 'no entity'],
  ])('%j → %j', (input, expected) => {
    expect(htmlUnescape(input)).toBe(expected);
  });
});

describe("ftfyUnescapeHtml (ftfy's unescape_html)", () => {
  it.each([
    ['&amp; &eacute;', '& é'],
    ['this&not that', 'this&not that'],
    ['P&EACUTE;REZ', 'PÉREZ'],
    ['BUNDESSTRA&SZLIG;E', 'BUNDESSTRASSE'],
    ['&ntilde; &Ntilde; &NTILDE; &nTILDE;', 'ñ Ñ Ñ &nTILDE;'],
    ['&#x2019;s', '\u2019s'],
    ['&#12ab;', '&#12ab;'],
  ])('%j → %j', (input, expected) => {
    expect(ftfyUnescapeHtml(input)).toBe(expected);
  });
});
