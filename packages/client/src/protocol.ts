/** The `Upgrade` header value that attaches to an exec (GET /v1/nodes/{node}/exec/{exec}/attach). */
export const EXEC_UPGRADE = 'eru-exec';

/** The header of `GET /v1/events` saying where the stream starts: a position as `since` takes it (REVISION or REVISION.INDEX). */
export const EVENTS_FROM_HEADER = 'eru-events-from';
