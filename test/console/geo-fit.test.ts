import { describe, expect, it } from 'vitest';
import { boundsOf, fitProjection, sameBounds, type FitOptions } from '../../console/src/geo-fit.js';

const OPTIONS: FitOptions = { width: 1000, minHeight: 400, maxHeight: 1000, padding: 20, minSpanDeg: 0.02 };
// Hangzhou-sized: 0.4° north-south, 0.5° east-west around 30.25° N.
const CITY = [
  { lat: 30.05, lon: 119.9 },
  { lat: 30.45, lon: 120.4 },
  { lat: 30.3, lon: 120.1 },
];

describe('the map projection (equirectangular, fitted to the stations)', () => {
  it('finds the bounding box of the positions', () => {
    expect(boundsOf([])).toBeUndefined();
    expect(boundsOf(CITY)).toEqual({ minLat: 30.05, maxLat: 30.45, minLon: 119.9, maxLon: 120.4 });
    expect(sameBounds(boundsOf(CITY), boundsOf([...CITY].reverse()))).toBe(true);
    expect(sameBounds(boundsOf(CITY), boundsOf(CITY.slice(1)))).toBe(false);
  });

  it('puts the box inside the drawing, touching the padding on its longer side, north up', () => {
    const bounds = boundsOf(CITY);
    if (!bounds) throw new Error('no bounds');
    const fit = fitProjection(bounds, OPTIONS);
    const nw = fit.project({ lat: bounds.maxLat, lon: bounds.minLon });
    const se = fit.project({ lat: bounds.minLat, lon: bounds.maxLon });
    // East-west is 0.5° × cos(30.25°) ≈ 0.432° of northing against 0.4°: the width is the tight side.
    expect(nw.x).toBeCloseTo(20, 6);
    expect(se.x).toBeCloseTo(980, 6);
    expect(nw.y).toBeCloseTo(20, 6);
    expect(se.y).toBeCloseTo(fit.height - 20, 6);
    expect(fit.height).toBeCloseTo(40 + (960 * 0.4) / (0.5 * Math.cos((30.25 * Math.PI) / 180)), 6);
    expect(nw.y).toBeLessThan(se.y);
  });

  it('keeps a kilometre east as long as a kilometre north at the middle latitude', () => {
    const bounds = boundsOf(CITY);
    if (!bounds) throw new Error('no bounds');
    const fit = fitProjection(bounds, OPTIONS);
    const centre = { lat: 30.25, lon: 120.15 };
    const north = fit.project({ lat: centre.lat + 0.1, lon: centre.lon });
    const east = fit.project({ lat: centre.lat, lon: centre.lon + 0.1 / Math.cos((30.25 * Math.PI) / 180) });
    const c = fit.project(centre);
    expect(c.y - north.y).toBeCloseTo(east.x - c.x, 6);
    expect(north.x).toBeCloseTo(c.x, 6);
    expect(east.y).toBeCloseTo(c.y, 6);
  });

  it('centres one station alone without blowing it up, and bounds the height of a thin fleet', () => {
    const alone = fitProjection({ minLat: 30.2741, maxLat: 30.2741, minLon: 120.1634, maxLon: 120.1634 }, OPTIONS);
    expect(alone.project({ lat: 30.2741, lon: 120.1634 })).toEqual({ x: 500, y: alone.height / 2 });
    // minSpanDeg: 0.02° across 960 units, so a neighbour 0.005° north is 240 units away, still inside.
    expect(alone.height / 2 - alone.project({ lat: 30.2791, lon: 120.1634 }).y).toBeCloseTo(240, 6);
    const street = fitProjection({ minLat: 30.25, maxLat: 30.25, minLon: 120.0, maxLon: 120.3 }, OPTIONS);
    expect(street.height).toBe(400);
    const avenue = fitProjection({ minLat: 30.0, maxLat: 30.5, minLon: 120.1, maxLon: 120.1 }, OPTIONS);
    expect(avenue.height).toBe(1000);
    expect(avenue.project({ lat: 30.5, lon: 120.1 }).y).toBeCloseTo(20, 6);
    expect(avenue.project({ lat: 30.0, lon: 120.1 }).y).toBeCloseTo(980, 6);
  });
});
