import type { EndEvent } from '@livelog/protocol';
import { LivelogClientError } from '../errors.js';
import type { StreamDelivery } from '../stream-delivery.js';
import type { RelayMessage } from './tab-share.js';

/** What a relayed message means for the following tab's stream beyond its delivery. */
export type RelayOutcome = { kind: 'go-on' } | { kind: 'ended'; end: EndEvent } | { kind: 'failed'; error: LivelogClientError };

/**
 * Takes in what the leader tab relayed as if this tab's own connection had read it: the same
 * StreamDelivery calls, so a follower's listeners see what the leader's see. An `end` or an error
 * stops the follower too; the caller closes it on that outcome.
 */
export function takeRelayed(delivery: StreamDelivery, message: RelayMessage): RelayOutcome {
  switch (message.kind) {
    case 'entries':
      for (const entry of message.entries) delivery.entry(entry, message.lastEventId);
      delivery.flush();
      break;
    case 'event':
      delivery.control(message.name, message.payload as never, message.lastEventId);
      if (message.name === 'end') {
        delivery.delivered();
        return { kind: 'ended', end: message.payload as EndEvent };
      }
      break;
    case 'cursor':
      delivery.advance(message.lastEventId);
      break;
    case 'status':
      delivery.setStatus({ state: message.state, attempt: message.attempt, nextRetryMs: message.nextRetryMs });
      break;
    case 'error':
      return {
        kind: 'failed',
        error: new LivelogClientError(message.code, message.message, message.status === undefined ? {} : { status: message.status }),
      };
  }
  delivery.delivered();
  return { kind: 'go-on' };
}
