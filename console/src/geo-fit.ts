import type { GeoPosition } from '../../config/station-schema.js';

/**
 * An equirectangular projection fitted to the stations' bounding box. A fleet covers a city or a
 * province, where this is within a few percent of any map projection and needs no tiles: north
 * up, and a kilometre east as long as a kilometre north at the box's middle latitude.
 */

export interface GeoBounds {
  minLat: number;
  maxLat: number;
  minLon: number;
  maxLon: number;
}

export interface FitOptions {
  /** Width of the drawing in its own units (the SVG viewBox); the height follows the box's shape. */
  width: number;
  /** Limits on the height, so that a fleet along one street still gets a usable drawing. */
  minHeight: number;
  maxHeight: number;
  /** Room kept free at the edges, so that dots on the box's edge are whole. */
  padding: number;
  /** Smallest span shown, in degrees: one station alone is not blown up to fill the drawing. */
  minSpanDeg: number;
}

/** The console map's fit, in viewBox units: the SVG scales to its box, so these only set proportions. */
export const MAP_FIT: FitOptions = { width: 1000, minHeight: 420, maxHeight: 1000, padding: 20, minSpanDeg: 0.02 };

export interface Fit {
  width: number;
  height: number;
  project(p: GeoPosition): { x: number; y: number };
}

export function boundsOf(points: Iterable<GeoPosition>): GeoBounds | undefined {
  let b: GeoBounds | undefined;
  for (const p of points) {
    if (!b) b = { minLat: p.lat, maxLat: p.lat, minLon: p.lon, maxLon: p.lon };
    else {
      b.minLat = Math.min(b.minLat, p.lat);
      b.maxLat = Math.max(b.maxLat, p.lat);
      b.minLon = Math.min(b.minLon, p.lon);
      b.maxLon = Math.max(b.maxLon, p.lon);
    }
  }
  return b;
}

export function sameBounds(a: GeoBounds | undefined, b: GeoBounds | undefined): boolean {
  return a === b || (!!a && !!b && a.minLat === b.minLat && a.maxLat === b.maxLat && a.minLon === b.minLon && a.maxLon === b.maxLon);
}

export function fitProjection(bounds: GeoBounds, o: FitOptions): Fit {
  const midLat = (bounds.minLat + bounds.maxLat) / 2;
  const lonScale = Math.cos((midLat * Math.PI) / 180);
  const midLon = (bounds.minLon + bounds.maxLon) / 2;
  // Spans in "north degrees": east-west degrees shrunk to the length they have at midLat.
  const spanY = Math.max(bounds.maxLat - bounds.minLat, o.minSpanDeg);
  const spanX = Math.max((bounds.maxLon - bounds.minLon) * lonScale, o.minSpanDeg);
  const inner = o.width - 2 * o.padding;
  const height = clamp(2 * o.padding + (inner * spanY) / spanX, o.minHeight, o.maxHeight);
  const scale = Math.min(inner / spanX, (height - 2 * o.padding) / spanY);
  const cx = o.width / 2;
  const cy = height / 2;
  return {
    width: o.width,
    height,
    project: (p) => ({ x: cx + (p.lon - midLon) * lonScale * scale, y: cy - (p.lat - midLat) * scale }),
  };
}

function clamp(v: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, v));
}

export type Direction = 'left' | 'right' | 'up' | 'down';

/**
 * The station a keyboard arrow moves to on the map: the nearest one that lies that way (north
 * up), favouring those straight ahead over those off to the side. undefined when none lies that way.
 */
export function nearestInDirection<K>(from: GeoPosition, candidates: Iterable<[K, GeoPosition]>, dir: Direction): K | undefined {
  const lonScale = Math.cos((from.lat * Math.PI) / 180);
  let best: K | undefined;
  let bestScore = Number.POSITIVE_INFINITY;
  for (const [key, p] of candidates) {
    const dx = (p.lon - from.lon) * lonScale;
    const dy = p.lat - from.lat;
    const ahead = dir === 'right' ? dx : dir === 'left' ? -dx : dir === 'up' ? dy : -dy;
    const aside = Math.abs(dir === 'right' || dir === 'left' ? dy : dx);
    if (ahead <= 0) continue;
    // Straight ahead counts once, sideways three times: the arrow means "that way", not "nearest".
    const score = ahead + 3 * aside;
    if (score < bestScore) {
      bestScore = score;
      best = key;
    }
  }
  return best;
}
