import { describe, expect, it } from 'vitest';
import { ApiError } from '../errors';
import { contentTypeCharset, findPrototypeKey, parseJsonBody } from './json-body';

function refusal(text: string, contentType = 'application/json'): ApiError {
  try {
    parseJsonBody(text, contentType);
  } catch (error) {
    expect(error).toBeInstanceOf(ApiError);
    return error as ApiError;
  }
  throw new Error(`${text} was accepted`);
}

describe('contentTypeCharset', () => {
  it('reads the charset parameter, unquoted and in lower case', () => {
    expect(contentTypeCharset('application/json')).toBeUndefined();
    expect(contentTypeCharset(undefined)).toBeUndefined();
    expect(contentTypeCharset('application/json; charset=UTF-8')).toBe('utf-8');
    expect(contentTypeCharset('application/json;Charset="latin1" ; x=y')).toBe('latin1');
    expect(contentTypeCharset('application/json; format=charset')).toBeUndefined();
  });
});

describe('findPrototypeKey', () => {
  it('finds __proto__ and constructor.prototype anywhere, with their path', () => {
    expect(findPrototypeKey(JSON.parse('{"a": [1, {"b": {"__proto__": {}}}]}'))).toEqual({ path: ['a', '1', 'b', '__proto__'], key: '__proto__' });
    expect(findPrototypeKey(JSON.parse('{"constructor": {"prototype": 1}}'))).toEqual({ path: ['constructor', 'prototype'], key: 'constructor.prototype' });
    expect(findPrototypeKey({ query: '__proto__', constructor: 'x', nested: { constructor: { name: 'y' } } })).toBeUndefined();
    expect(findPrototypeKey([null, 1, 'a', []])).toBeUndefined();
  });

  it('walks a body nested 100,000 levels deep without overflowing the stack', () => {
    const deep = JSON.parse(`${'['.repeat(100_000)}{"__proto__": 1}${']'.repeat(100_000)}`) as unknown;
    expect(findPrototypeKey(deep)?.path).toHaveLength(100_001);
  });
});

describe('parseJsonBody', () => {
  it('parses UTF-8 JSON, with or without the charset parameter', () => {
    expect(parseJsonBody('{"query": "Brücke"}', 'application/json')).toEqual({ query: 'Brücke' });
    expect(parseJsonBody('{"query": "a"}', 'application/json; charset=utf-8')).toEqual({ query: 'a' });
    expect(parseJsonBody('[1]', 'application/json; charset="UTF8"')).toEqual([1]);
  });

  it('refuses other character sets with 415, empty and malformed bodies with invalid_json, prototype keys with a 400 naming them', () => {
    expect(refusal('{}', 'application/json; charset=latin1')).toMatchObject({ statusCode: 415, code: 'unsupported_media_type', message: expect.stringMatching(/^only UTF-8 JSON is accepted; the body says charset=latin1/) });
    expect(refusal('  ')).toMatchObject({ statusCode: 400, code: 'invalid_json', message: 'the body is empty; send a JSON object' });
    expect(refusal('{"a":')).toMatchObject({ statusCode: 400, code: 'invalid_json', message: expect.stringMatching(/^the body is not valid JSON \(/) });
    expect(refusal('{"texts": [{"__proto__": {"x": 1}}]}')).toMatchObject({
      statusCode: 400,
      code: 'invalid_request',
      message: 'invalid request: body.texts.0.__proto__: the key __proto__ is not allowed (it could change object prototypes)',
      details: { issues: [{ field: 'body.texts.0.__proto__' }] },
    });
  });
});
