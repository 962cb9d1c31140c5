/**
 * The uid and gid an app's code runs as, on every base image and whatever its image says: set numeric
 * in the image (build/dockerfile.ts) and again when each container is made (a build step that edits
 * /etc/passwd cannot make it root); the owner of the app's shared volumes. A leaf: no imports.
 */
export const APP_UID = 10001;
export const APP_USER = `${APP_UID}:${APP_UID}`;
