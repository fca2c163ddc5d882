import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Lru } from './lru.ts';

describe('the LRU every cache uses', () => {
  it('forgets the least recently used entry past its capacity; a read counts as a use', () => {
    const lru = new Lru<string, number>(2);
    lru.set('a', 1);
    lru.set('b', 2);
    expect(lru.get('a')).toBe(1); // a is now the most recent
    lru.set('c', 3);
    expect([...lru.entries()]).toEqual([
      ['a', 1],
      ['c', 3],
    ]);
    expect(lru.get('b')).toBeUndefined();
  });

  it('property: never holds more than its capacity, and holds exactly the most recently used keys', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.array(fc.tuple(fc.constantFrom('get', 'set', 'delete'), fc.integer({ min: 0, max: 12 })), {
          maxLength: 200,
        }),
        (capacity, ops) => {
          const lru = new Lru<number, number>(capacity);
          const model: number[] = []; // keys, least recent first
          for (const [op, key] of ops) {
            const at = model.indexOf(key);
            if (op === 'set') {
              lru.set(key, key * 10);
              if (at >= 0) model.splice(at, 1);
              model.push(key);
              if (model.length > capacity) model.shift();
            } else if (op === 'get') {
              expect(lru.get(key)).toBe(at >= 0 ? key * 10 : undefined);
              if (at >= 0) model.push(...model.splice(at, 1));
            } else {
              lru.delete(key);
              if (at >= 0) model.splice(at, 1);
            }
            expect(lru.size).toBeLessThanOrEqual(capacity);
          }
          expect([...lru.entries()].map(([k]) => k)).toEqual(model);
        },
      ),
      { numRuns: 300 },
    );
  });
});
