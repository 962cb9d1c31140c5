import { age as ageOf } from '../lib/time.js';
/** Bytes as people read them: 512 MiB, 1.5 GiB. */
export function bytes(value: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let n = value;
  let unit = 0;
  while (n >= 1024 && unit < units.length - 1) {
    n /= 1024;
    unit++;
  }
  return `${n >= 10 || unit === 0 ? Math.round(n) : n.toFixed(1)} ${units[unit]}`;
}

/** How long ago (lib/time.ts), or a dash for a time not known. */
export function age(iso: string | undefined, now = Date.now()): string {
  return iso ? ageOf(iso, now) : '–';
}

export function percent(value: number | undefined): string {
  return value === undefined ? '–' : `${Math.round(value * 100)}%`;
}

/** CPU in cores, without float noise: 1.3, 0.05. */
export function cpu(value: number): string {
  return String(Math.round(value * 1000) / 1000);
}

/**
 * Each app's colour and stripe pattern, from its name: the same app looks the same everywhere, and
 * the pattern and a label tell apps apart without colour.
 */
export function appLook(app: string): { hue: number; pattern: number; label: string } {
  let hash = 0;
  for (const char of app) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  return { hue: hash % 360, pattern: (hash >>> 9) % 4, label: app.slice(0, 3) };
}
