import { describe, expect, it } from 'vitest';
import { urlHost } from './listen.ts';

describe('a host in a URL', () => {
  it.each([
    ['127.0.0.1', '127.0.0.1'],
    ['localhost', 'localhost'],
    ['::1', '[::1]'],
    ['::', '[::]'],
    ['[::1]', '[::1]'],
    ['fe80::1%eth0', '[fe80::1%eth0]'],
  ])('%s is written %s', (host, written) => {
    expect(urlHost(host)).toBe(written);
  });
});
