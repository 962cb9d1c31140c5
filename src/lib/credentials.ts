/**
 * How Eru proves itself to a store or bus across a network, and whom it trusts there: PEM text (the
 * CLI reads the files) and a user and password. Empty for a service on loopback.
 */
export interface Credentials {
  /** The CA that signed the server's certificate. */
  ca?: string;
  /** A client certificate and its key, for servers that ask for one. */
  cert?: string;
  key?: string;
  user?: string;
  password?: string;
}
