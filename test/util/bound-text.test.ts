import { describe, expect, it } from 'vitest';
import { boundText } from '../../src/util/bound-text.js';

describe('boundText', () => {
  it('keeps text that fits as it is', () => {
    expect(boundText('abc', 3)).toBe('abc');
    expect(boundText('', 0)).toBe('');
  });

  it('cuts longer text to at most max characters, saying how many were left out', () => {
    const cut = boundText('k'.repeat(60_000), 100);
    expect(cut.length).toBeLessThanOrEqual(100);
    expect(cut).toMatch(/^k+…\(59,9\d\d more characters\)$/);
    const kept = cut.indexOf('…');
    expect(cut).toBe(`${'k'.repeat(kept)}…(${(60_000 - kept).toLocaleString('en-US')} more characters)`);
  });

  it('counts characters the caller already dropped as left out', () => {
    // A max too small for the marker keeps nothing but the marker.
    expect(boundText('abc', 3, 10)).toBe('…(13 more characters)');
    const cut = boundText('x'.repeat(500), 100, 59_500);
    expect(cut.length).toBeLessThanOrEqual(100);
    expect(cut).toBe(
      `${'x'.repeat(cut.indexOf('…'))}…(${(60_000 - cut.indexOf('…')).toLocaleString('en-US')} more characters)`,
    );
  });

  it('never splits a surrogate pair', () => {
    const text = '😀'.repeat(100);
    for (let max = 30; max < 40; max++) {
      const cut = boundText(text, max);
      expect(cut.length).toBeLessThanOrEqual(max);
      // Every high surrogate is followed by its low half.
      expect(cut).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
    }
  });
});
