import { basename } from 'node:path';
import { createKeyedBatchSender, type KeyedBatchSender } from '@livelog/client';
import { encodeLine, type LineDefaults } from '../ingest/line-record.js';
import { LineSplitter } from '../ingest/line-splitter.js';
import { FileFollower } from './file-follower.js';

/** Options of `followFiles`. */
export interface FollowFilesOptions {
  url: string;
  token?: string;
  /** The named stream the lines go to; none: `default`. */
  stream?: string;
  patterns: readonly string[];
  checkpointPath: string;
  fromStart: boolean;
  once: boolean;
  /** Source of every line; defaults to each followed file's name. */
  source?: string;
  defaults: LineDefaults;
  say(text: string): void;
}

/**
 * `livelog pipe --follow`: ships the lines of files as they grow, one entry per line (text lines as
 * `livelog pipe` reads them: level and leading timestamp recognised, JSON records taken as records),
 * until `signal` aborts.
 */
export async function followFiles(options: FollowFilesOptions, signal: AbortSignal): Promise<{ batches: number; rejected: number }> {
  const senders = new Map<string, KeyedBatchSender>();
  let failing = false;
  const follower = new FileFollower({
    patterns: options.patterns,
    checkpointPath: options.checkpointPath,
    fromStart: options.fromStart,
    once: options.once,
    say: options.say,
    senderFor(path) {
      let sender = senders.get(path);
      if (sender === undefined) {
        sender = createKeyedBatchSender(
          {
            url: options.url,
            source: options.source ?? (basename(path).slice(0, 128) || 'file'),
            ...(options.token ? { token: options.token } : {}),
            ...(options.stream ? { stream: options.stream } : {}),
          },
          (retry) => {
            if (failing) return;
            failing = true;
            options.say(`cannot deliver to ${options.url} (${retry.message}); retrying, the file offsets wait`);
          },
        );
        senders.set(path, sender);
      }
      return sender;
    },
    encode(bytes, flushPartial, readAt) {
      failing = false;
      // The time the bytes were read, not now: a batch sent again after a crash must have the same body.
      const now = readAt;
      const lines: string[] = [];
      const splitter = new LineSplitter((text, invalidUtf8) => lines.push(encodeLine(text, invalidUtf8, now, options.defaults)));
      splitter.push(bytes);
      // A batch ends at a newline, but for the last line of a finished file or a piece of an overlong line.
      splitter.end();
      void flushPartial;
      return lines.join('\n');
    },
  });
  return follower.run(signal);
}
