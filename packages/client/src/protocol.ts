/** The `Upgrade` header value that attaches to an exec (GET /v1/nodes/{node}/exec/{exec}/attach). */
export const EXEC_UPGRADE = 'eru-exec';
