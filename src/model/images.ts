/**
 * Base images Eru makes on its nodes (nothing can be pulled where it is set up): the kinds, and the
 * image each makes. How they are made is build/base.ts. Plain data: the CLI prints it without loading schemas.
 */
export const BASE_IMAGES = {
  busybox: { image: 'local/busybox:1', describe: 'busybox from Debian busybox-static, its applets in /bin' },
  debian: { image: 'local/debian:bookworm', describe: 'Debian bookworm (minbase) through debootstrap' },
} as const;
export type BaseKind = keyof typeof BASE_IMAGES;
export const BASE_KINDS = Object.keys(BASE_IMAGES) as BaseKind[];
