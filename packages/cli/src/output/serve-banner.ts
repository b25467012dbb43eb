import { resolve } from 'node:path';
import type { ServerConfig } from '@livelog/server';
import { createColors } from 'picocolors';

/** What the banner says beyond the config. */
export interface BannerFacts {
  url: string;
  /** The store's stream identity (the part before `:` in every id). */
  stream: string;
  color: boolean;
}

/**
 * The few lines `livelog serve` prints on a terminal once it listens: where the console is, where the
 * data goes, who may connect, how to stop. A store URL's password is never shown.
 */
export function serveBanner(config: ServerConfig, facts: BannerFacts): string {
  const c = createColors(facts.color);
  const rows: [string, string][] = [
    ['console', c.cyan(`${facts.url}/`)],
    ['store', storeText(config)],
    ['stream', facts.stream],
    ['access', accessText(config)],
  ];
  const width = Math.max(...rows.map(([name]) => name.length));
  const lines = rows.map(([name, value]) => `  ${c.dim(name.padEnd(width))}  ${value}`);
  return `\n${c.bold('livelog is serving')}\n\n${lines.join('\n')}\n\n  ${c.dim('Ctrl-C stops the server; logs follow.')}\n\n`;
}

function storeText(config: ServerConfig): string {
  const { store } = config;
  switch (store.kind) {
    case 'sqlite':
      return `SQLite in ${resolve(store.dir)} (durability ${store.durability}${store.searchIndex === false ? ', no search index' : ''})`;
    case 'memory':
      return 'memory (everything is gone when the server stops)';
    case 'url':
      return redact(store.url);
  }
}

function accessText(config: ServerConfig): string {
  if (config.tokens.length === 0) return `no token: listening on ${config.host} only; anyone on this machine can read and write`;
  const scopes = [...new Set(config.tokens.flatMap((token) => token.scopes))].sort().join(', ');
  return `${config.tokens.length} token${config.tokens.length === 1 ? '' : 's'} (${scopes}): every request needs one`;
}

function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return url;
  }
}
