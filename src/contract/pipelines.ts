import { z } from 'zod';
import { BranchSchema, PipelineSchema, ReleaseSchema, ShaSchema } from '../model/app.js';
import { DnsLabelSchema } from '../model/names.js';

/** Apps' pipelines on the wire: their settings, and what the git webhook answers. */

/** `PUT /v1/apps/{app}/pipeline`: which branch is followed, where it is built and tested, where it is released (`null`: nowhere). */
export const PipelineBodySchema = z
  .object({
    branch: BranchSchema.optional(),
    pod: DnsLabelSchema.optional(),
    release: ReleaseSchema.nullable().optional(),
    /** A new secret: deliveries signed with the old one are refused from now on. */
    rotateSecret: z.boolean().default(false),
  })
  .strict();
export type PipelineBody = z.infer<typeof PipelineBodySchema>;

/** An app's pipeline with the URL its git host is to call: what `eru app hook show` prints. */
export const PipelineViewSchema = PipelineSchema.extend({ url: z.string() });
export type PipelineView = z.infer<typeof PipelineViewSchema>;

/** `POST /v1/apps/{app}/builds/local?pod=P&sha=S`: the pod to build and test in, and the commit of the bundle sent. */
export const LocalBuildQuerySchema = z.object({ pod: DnsLabelSchema, sha: ShaSchema }).strict();

/** What `POST /v1/hooks/git/{app}` answers a verified delivery (202 when a push was taken up, 200 otherwise). */
export const HookAnswerSchema = z.object({
  accepted: z.boolean(),
  message: z.string(),
  sha: z.string().optional(),
  /** The same commit was received before: it is built once. */
  duplicate: z.boolean().optional(),
});
export type HookAnswer = z.infer<typeof HookAnswerSchema>;
