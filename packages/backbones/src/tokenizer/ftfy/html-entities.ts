import he from 'he';
import { CHARMAP_UPPER_HALVES } from './ftfy-tables';

/** Python's `html._invalid_charrefs`: numeric references HTML5 remaps (Windows-1252 for 0x80–0x9F). */
function invalidCharref(codePoint: number): string | undefined {
  if (codePoint === 0x00) return '\ufffd';
  if (codePoint === 0x0d) return '\r';
  if (codePoint >= 0x80 && codePoint <= 0x9f) {
    const windows1252 = CHARMAP_UPPER_HALVES.find(([name]) => name === 'sloppy-windows-1252')?.[1];
    return windows1252?.[codePoint - 0x80];
  }
  return undefined;
}

/** Python's `html._invalid_codepoints`: references to them decode to nothing. */
function isInvalidCodePoint(codePoint: number): boolean {
  return (
    (codePoint >= 0x1 && codePoint <= 0x8) ||
    codePoint === 0xb ||
    (codePoint >= 0xe && codePoint <= 0x1f) ||
    (codePoint >= 0x7f && codePoint <= 0x9f) ||
    (codePoint >= 0xfdd0 && codePoint <= 0xfdef) ||
    (codePoint & 0xfffe) === 0xfffe
  );
}

function numericReference(digits: string, hex: boolean): string {
  const codePoint = hex ? parseInt(digits, 16) : parseInt(digits, 10);
  const remapped = invalidCharref(codePoint);
  if (remapped !== undefined) return remapped;
  if ((codePoint >= 0xd800 && codePoint <= 0xdfff) || codePoint > 0x10ffff) return '\ufffd';
  if (isInvalidCodePoint(codePoint)) return '';
  return String.fromCodePoint(codePoint);
}

// Python's `html._charref`, character for character.
const CHARREF = /&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?)/gu;

/**
 * Python's `html.unescape`. Named references go through `he`, which follows the same HTML5 rule
 * (a full name with `;`, else the longest legacy name without it); numeric references are decoded
 * here because Python drops references to invalid code points where `he` keeps them.
 */
export function htmlUnescape(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(CHARREF, (_match, body: string) => {
    if (body.startsWith('#')) {
      const hex = body[1] === 'x' || body[1] === 'X';
      const digits = body.slice(hex ? 2 : 1).replace(/;$/, '');
      return numericReference(digits, hex);
    }
    return he.decode(`&${body}`);
  });
}

/**
 * The value of a complete HTML5 named reference `&name;`, or undefined when `name;` is not one.
 * Every HTML5 value is at most two UTF-16 units long, while `he` returns the input unchanged for
 * an unknown name and `legacy value + rest + ';'` (three units or more) for a legacy prefix.
 */
function completeNamedReference(entity: string): string | undefined {
  const decoded = he.decode(entity);
  return decoded !== entity && decoded.length <= 2 ? decoded : undefined;
}

// ftfy's HTML_ENTITY_RE: only references that end in ';'.
const FTFY_ENTITY = /&#?[0-9A-Za-z]{1,24};/g;

/**
 * ftfy's `unescape_html`: decodes HTML5 references that end in `;`, numeric ones as Python does,
 * and all-caps spellings of lower-case names (`&EACUTE;` → `É`) when that spelling means nothing
 * else; leaves everything else (`this&not that`) alone.
 */
export function ftfyUnescapeHtml(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(FTFY_ENTITY, (entity) => {
    if (entity.startsWith('&#')) {
      const unescaped = htmlUnescape(entity);
      // A reference Python decoded only partly keeps its ';': ftfy then leaves it alone.
      return unescaped.includes(';') ? entity : unescaped;
    }
    const named = completeNamedReference(entity);
    if (named !== undefined) return named;
    const lower = entity.toLowerCase();
    if (lower !== entity && entity === lower.toUpperCase() && htmlUnescape(entity) === entity) {
      const lowerValue = completeNamedReference(lower);
      if (lowerValue !== undefined) return lowerValue.toUpperCase();
    }
    return entity;
  });
}
