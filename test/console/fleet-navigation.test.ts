import { describe, expect, it } from 'vitest';
import { nearestInDirection } from '../../console/src/geo-fit.js';
import { clampScrollTop, keyTarget, scrollToShow } from '../../console/src/fleet-scroll.js';

describe('fleet list and map navigation', () => {
  it('clamps a scroll offset left past the end of a shorter list', () => {
    // 12,000 rows of 44 px scrolled to near the bottom, then a search leaves 10: the offset must come back.
    expect(clampScrollTop(500_000, 10, 44, 600)).toBe(0);
    expect(clampScrollTop(500_000, 20, 44, 600)).toBe(20 * 44 - 600);
    expect(clampScrollTop(300, 12_000, 44, 600)).toBe(300);
    expect(clampScrollTop(-5, 12_000, 44, 600)).toBe(0);
  });

  it('scrolls a focused row into view by as little as needed', () => {
    expect(scrollToShow(0, 3, 44, 440)).toBe(0);
    expect(scrollToShow(0, 10, 44, 440)).toBe(11 * 44 - 440);
    expect(scrollToShow(1000, 2, 44, 440)).toBe(88);
  });

  it('moves between rows with arrows, pages, Home and End, and ignores other keys', () => {
    expect(keyTarget('ArrowDown', 0, 5, 3)).toBe(1);
    expect(keyTarget('ArrowDown', 4, 5, 3)).toBe(4);
    expect(keyTarget('ArrowUp', 0, 5, 3)).toBe(0);
    expect(keyTarget('PageDown', 1, 5, 3)).toBe(4);
    expect(keyTarget('PageUp', 4, 5, 3)).toBe(1);
    expect(keyTarget('Home', 3, 5, 3)).toBe(0);
    expect(keyTarget('End', 0, 5, 3)).toBe(4);
    expect(keyTarget('a', 0, 5, 3)).toBeUndefined();
    expect(keyTarget('ArrowDown', 0, 0, 3)).toBeUndefined();
  });

  it('moves on the map to the nearest station that lies the way of the arrow, north up', () => {
    const at = { lat: 30.25, lon: 120.15 };
    const pins: Array<[string, { lat: number; lon: number }]> = [
      ['east-near', { lat: 30.25, lon: 120.17 }],
      ['east-far', { lat: 30.25, lon: 120.3 }],
      ['north', { lat: 30.3, lon: 120.15 }],
      ['south-east', { lat: 30.2, lon: 120.16 }],
      ['west', { lat: 30.26, lon: 120.0 }],
    ];
    expect(nearestInDirection(at, pins, 'right')).toBe('east-near');
    expect(nearestInDirection(at, pins, 'up')).toBe('north');
    expect(nearestInDirection(at, pins, 'down')).toBe('south-east');
    expect(nearestInDirection(at, pins, 'left')).toBe('west');
    expect(nearestInDirection(at, [['self', at]], 'left')).toBeUndefined();
  });
});
