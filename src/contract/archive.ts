import { z } from 'zod';

/** `eru cp`: a path in a container, what is there, and the answer of an upload. */
export const ArchiveQuerySchema = z.object({ path: z.string().min(1).max(4096).regex(/^\//, 'an absolute path in the container') }).strict();

export const ArchiveStatSchema = z.object({ path: z.string(), exists: z.boolean(), directory: z.boolean(), size: z.number().int() });
export type ArchiveStat = z.infer<typeof ArchiveStatSchema>;

export const UploadAnswerSchema = z.object({ bytes: z.number().int() });
