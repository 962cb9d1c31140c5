import { z } from 'zod';

/** `eru cp`: a path in a container, what is there, and the answer of an upload. */
export const ArchiveQuerySchema = z.object({ path: z.string().min(1).max(4096).regex(/^\//, 'an absolute path in the container') }).strict();

/** The user the workload runs as, resolved in the container: what files copied in should belong to. */
export const ArchiveOwnerSchema = z.object({ user: z.string(), uid: z.number().int(), gid: z.number().int() });

export const ArchiveStatSchema = z.object({ path: z.string(), exists: z.boolean(), directory: z.boolean(), size: z.number().int(), owner: ArchiveOwnerSchema });
export type ArchiveStat = z.infer<typeof ArchiveStatSchema>;
export type ArchiveOwner = z.infer<typeof ArchiveOwnerSchema>;

export const UploadAnswerSchema = z.object({ bytes: z.number().int() });
