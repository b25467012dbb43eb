// Public surface of @livelog/client: a plain list of re-exports, one line per module, so other
// parts of the package (stream reader, history, shipper) can be appended without touching the rest.
export { CLIENT_VERSION } from './version.js';
