/** What the core needs of a logger (pino's, in a running core): structured fields, then a message. */
export interface Log {
  info(fields: object, message: string): void;
  info(message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}
