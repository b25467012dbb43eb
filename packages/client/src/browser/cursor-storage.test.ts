import { describe, expect, it } from 'vitest';
import { createCursorStorage, persistedCursor } from './cursor-storage.js';

/** A Web Storage's getItem/setItem over a Map, with a switch to refuse writes as a full quota does. */
function mapStorage(): Pick<Storage, 'getItem' | 'setItem'> & { values: Map<string, string>; full: boolean } {
  const values = new Map<string, string>();
  return {
    values,
    full: false,
    getItem(key) {
      return values.get(key) ?? null;
    },
    setItem(key, value) {
      if (this.full) throw new DOMException('quota exceeded', 'QuotaExceededError');
      values.set(key, value);
    },
  };
}

describe('cursor storage', () => {
  it('keeps one cursor under its key, loads it back, and treats an empty value as none', () => {
    const storage = mapStorage();
    const first = createCursorStorage({ key: 'app:cursor:a', storage });
    expect(first?.load()).toBeUndefined();
    first?.save('s1:41');
    first?.save('s1:42');
    expect(storage.values).toEqual(new Map([['app:cursor:a', 's1:42']]));
    // A reloaded page opens a new storage object over the same Web Storage.
    expect(createCursorStorage({ key: 'app:cursor:a', storage })?.load()).toBe('s1:42');
    expect(createCursorStorage({ key: 'app:cursor:b', storage })?.load()).toBeUndefined();
    storage.values.set('app:cursor:a', '');
    expect(createCursorStorage({ key: 'app:cursor:a', storage })?.load()).toBeUndefined();
  });

  it('never throws: a refused write is dropped and the next accepted one is stored', () => {
    const storage = mapStorage();
    const cursor = createCursorStorage({ key: 'k', storage });
    storage.full = true;
    expect(() => cursor?.save('s1:1')).not.toThrow();
    expect(storage.values.size).toBe(0);
    storage.full = false;
    cursor?.save('s1:2');
    expect(storage.values.get('k')).toBe('s1:2');
    const unreadable = {
      getItem: () => {
        throw new DOMException('denied', 'SecurityError');
      },
      setItem: () => undefined,
    };
    expect(createCursorStorage({ key: 'k', storage: unreadable })?.load()).toBeUndefined();
  });

  // Node 20 has no Web Storage; later Node versions may have one built in.
  it.skipIf(typeof sessionStorage !== 'undefined')('is undefined where no Web Storage exists', () => {
    expect(createCursorStorage({ key: 'k' })).toBeUndefined();
    expect(persistedCursor(true, 'http://h/api/stream')).toBeUndefined();
  });

  it('backs `persist` only when asked, under the stream URL unless a key is given', () => {
    const storage = mapStorage();
    expect(persistedCursor(undefined, 'http://h/api/stream')).toBeUndefined();
    expect(persistedCursor(false, 'http://h/api/stream')).toBeUndefined();
    persistedCursor({ storage }, 'http://h/api/stream?level=warn')?.save('s1:7');
    persistedCursor({ storage, key: 'mine' }, 'http://h/api/stream')?.save('s1:8');
    expect(storage.values).toEqual(
      new Map([
        ['livelog:cursor:http://h/api/stream?level=warn', 's1:7'],
        ['mine', 's1:8'],
      ]),
    );
  });
});
