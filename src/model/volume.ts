import { z } from 'zod';
import { APP_UID } from './user.js';
import { MemorySizeSchema } from '../lib/validate.js';
import { DnsLabelSchema } from './names.js';

/**
 * Shared volumes: an app's directory on the MooseFS mount every node of a pod has (its shared root),
 * `{root}/{app}/{name}`, bind-mounted into each instance. A name is a DNS label, so it is one path
 * component and never `..`; the app's name is one too, so no app reaches another's directory.
 */

/** The uid (and gid) an app's image runs as (build/dockerfile.ts) and owns its volumes as. */
export const VOLUME_OWNER_UID = APP_UID;

/** An absolute host path where a node has its MooseFS mount (or a directory inside it). */
export const SharedRootSchema = z
  .string()
  .min(2)
  .max(1024)
  .regex(/^\/[A-Za-z0-9._/-]*$/, 'an absolute path of letters, digits and . _ / -')
  .refine((p) => !p.split('/').some((part) => part === '..' || part === '.'), 'a shared root may not contain "." or ".." parts');

/** Where a volume appears inside the container: absolute, not `/` itself, no `.` or `..` parts. */
export const MountPathSchema = z
  .string()
  .min(1)
  .max(1024)
  .regex(/^\/[A-Za-z0-9._/-]*$/, 'an absolute path of letters, digits and . _ / -')
  .refine((p) => p.split('/').some((part) => part !== ''), 'a volume cannot be mounted at / itself')
  .refine((p) => !p.split('/').some((part) => part === '..' || part === '.'), 'a volume path may not contain "." or ".." parts');

const QuotaSchema = z.number().int().min(1024 * 1024, 'a quota of at least 1MiB').max(2 ** 53 - 1);

/** One shared volume of a workload: which of its app's volumes, where, and the quota it asks for. */
export const SharedVolumeSchema = z
  .object({
    name: DnsLabelSchema,
    path: MountPathSchema,
    /** Bytes; a hard MooseFS quota on the sum of file lengths in the volume. */
    size: MemorySizeSchema.pipe(QuotaSchema).optional(),
  })
  .strict();
export type SharedVolume = z.infer<typeof SharedVolumeSchema>;

/** A workload's volumes: each name and each path once. */
export const SharedVolumesSchema = z
  .array(SharedVolumeSchema)
  .max(16)
  .superRefine((volumes, context) => {
      const names = new Set<string>();
      const paths = new Set<string>();
      volumes.forEach((volume, i) => {
        if (names.has(volume.name)) context.addIssue({ code: 'custom', path: [i, 'name'], message: `volume ${volume.name} is given twice` });
        if (paths.has(volume.path)) context.addIssue({ code: 'custom', path: [i, 'path'], message: `two volumes at ${volume.path}` });
        names.add(volume.name);
        paths.add(volume.path);
      });
  });

/** An app's volume as stored: it exists from its first use until `eru app volume rm`. */
export const VolumeRecordSchema = z.object({
  app: DnsLabelSchema,
  name: DnsLabelSchema,
  size: z.number().int().optional(),
  createdAt: z.string(),
  /** Set by `eru app volume rm`: since when the agents are asked to delete the directory. */
  removing: z.string().optional(),
});
export type VolumeRecord = z.infer<typeof VolumeRecordSchema>;

/** A node that has (had) an instance with the volume: its agent keeps the directory and quota right. */
export const NodeVolumeSchema = z.object({ since: z.string() });

/** What a node's agent last did about one volume, as `{app}/{name}` in its heartbeat. */
export const VolumeReportSchema = z
  .object({
    /** The shared root and size it prepared the directory for. */
    root: z.string().max(1024),
    size: z.number().int().optional(),
    ready: z.boolean(),
    /** Why it is not ready (a symlink where the directory should be, no MooseFS mount, a tool failing). */
    error: z.string().max(1024).optional(),
    /** Bytes in the volume (sum of file lengths) and its hard quota, as MooseFS counts them. */
    used: z.number().int().min(0).optional(),
    quota: z.number().int().min(0).optional(),
    measuredAt: z.string().max(64).optional(),
    /** The directory is gone (asked by `eru app volume rm`). */
    removed: z.boolean().optional(),
  })
  .strict();
export type VolumeReport = z.infer<typeof VolumeReportSchema>;

/** A volume's directory on a node: `{root}/{app}/{name}`. */
export function volumeDir(root: string, app: string, name: string): string {
  return `${root.replace(/\/+$/, '')}/${app}/${name}`;
}

/** The mount (of `mounts`) that holds `path`, by path alone; the deepest when they nest. */
export function mountHolding(path: string, mounts: readonly string[]): string | undefined {
  return mounts.filter((mount) => path === mount || path.startsWith(mount.endsWith('/') ? mount : `${mount}/`)).sort((a, b) => b.length - a.length)[0];
}

/** `{app}/{name}`: how agents and heartbeats name a volume. */
export function volumeKey(app: string, name: string): string {
  return `${app}/${name}`;
}

/** A node's path to its pod's MooseFS: its own, or the pod's. */
export function sharedRootOf(pod: { sharedRoot?: string | undefined }, node: { sharedRoot?: string | undefined }): string | undefined {
  return node.sharedRoot ?? pod.sharedRoot;
}
