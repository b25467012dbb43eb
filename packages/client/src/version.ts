/** Version of @livelog/client, sent nowhere; useful in diagnostics. */
export const CLIENT_VERSION = '0.1.0';
