/** Where a syslog listener binds. */
export interface SyslogAddress {
  transport: 'tcp' | 'udp';
  host: string;
  port: number;
}

/**
 * `tcp://127.0.0.1:6514` or `udp://[::1]:514` as an address; undefined when it is not one. The port
 * is required (0 picks a free one): syslog's 514 and 6514 both need choosing deliberately.
 */
export function parseSyslogAddress(text: string): SyslogAddress | undefined {
  const match = /^(tcp|udp):\/\/(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})\/?$/.exec(text.trim());
  if (match === null) return undefined;
  const port = Number(match[3]);
  if (port > 65_535) return undefined;
  return { transport: match[1] as 'tcp' | 'udp', host: (match[2] as string).replace(/^\[|\]$/g, ''), port };
}

/** The address as a URL again, e.g. for logs: `tcp://127.0.0.1:6514`. */
export function formatSyslogAddress(address: SyslogAddress): string {
  const host = address.host.includes(':') ? `[${address.host}]` : address.host;
  return `${address.transport}://${host}:${address.port}`;
}
