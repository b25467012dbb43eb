import type { GapEvent } from '@livelog/protocol';

/** The stderr note for entries retention removed before a reader got them, live or paging history. */
export function gapNotice(gap: GapEvent): string {
  return `${gap.missed} entries (seq ${gap.fromSeq}..${gap.toSeq}) were removed by retention before they could be read`;
}
