/** The `Upgrade` header value that attaches to an exec (GET /v1/nodes/{node}/exec/{exec}/attach). */
export const EXEC_UPGRADE = 'eru-exec';

/** The header of `GET /v1/events` saying where the stream starts: a position as `since` takes it (REVISION or REVISION.INDEX). */
export const EVENTS_FROM_HEADER = 'eru-events-from';

/**
 * The reply header of a paged list (GET /v1/workloads, /v1/nodes, /v1/services) that carries the
 * token of the next page (`continue=`); absent on the last page. A page may hold fewer items than its
 * limit (filters apply within it): follow the token until it is absent.
 */
export const CONTINUE_HEADER = 'eru-continue';
