import { z } from 'zod';

/** A pod or app name: a DNS label, so it can stand in hostnames, labels and image names. */
export const DnsLabelSchema = z
  .string()
  .min(1)
  .max(63)
  .regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/, 'use lowercase letters, digits and inner dashes (a DNS label)');

/** A node name: a host name as operators write them. */
export const NodeNameSchema = z
  .string()
  .min(1)
  .max(253)
  .regex(/^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$/, 'use letters, digits, dots, dashes and underscores, starting and ending with a letter or digit');

export const LabelsSchema = z.record(
  z.string().min(1).max(253).regex(/^[A-Za-z0-9][A-Za-z0-9._/-]*$/, 'a label key is letters, digits, and . _ / -'),
  z.string().max(1024),
);
