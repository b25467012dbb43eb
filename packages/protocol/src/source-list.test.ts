import { describe, expect, it } from 'vitest';
import { joinSourceList, splitSourceList } from './source-list.js';

describe('the source list of a filter', () => {
  it('splits at plain commas, keeps `\\,` and `\\\\` as one character, and other backslashes as they are', () => {
    expect(splitSourceList('a,b')).toEqual(['a', 'b']);
    expect(splitSourceList(' a , b ,,')).toEqual(['a', 'b']);
    expect(splitSourceList('a\\,b')).toEqual(['a,b']);
    expect(splitSourceList('C:\\app,x\\\\,y')).toEqual(['C:\\app', 'x\\', 'y']);
    expect(splitSourceList('')).toEqual([]);
  });

  it('joins any names into one value that splits back into them', () => {
    const names = ['a', 'a,b', ',', 'C:\\app', 'x\\', '\\,', 'tail\\\\', 'ü,ß'];
    expect(splitSourceList(joinSourceList(names))).toEqual(names);
    for (const name of names) expect(splitSourceList(joinSourceList([name]))).toEqual([name]);
  });
});
