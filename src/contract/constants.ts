/** Plain values of the wire that clients need at run time (no schemas, so a client loads nothing heavy). */

/** The `Upgrade` header value that attaches to an exec (GET /v1/nodes/{node}/exec/{exec}/attach). */
export const EXEC_UPGRADE = 'eru-exec';
