// Reading text a line at a time lives with the client package (it reads the API's NDJSON streams with it).
export { LineBuffer, MAX_LINE, ndjson } from 'eru-client';
