import type { LivelogStatusDetail } from '../console-events.js';

/**
 * The header's state pill: `live`, `reconnecting`, …, and for a stream its writer ended,
 * `ended · exit 0` (or `ended · <reason>`), so a job's page says how the job finished.
 */
export function headerStateText(detail: LivelogStatusDetail | undefined): string {
  if (detail === undefined) return 'connecting';
  if (detail.state !== 'ended') return detail.state;
  const end = detail.end;
  if (end?.exitCode !== undefined) return `ended · exit ${end.exitCode}`;
  return end?.reason ? `ended · ${end.reason.length > 60 ? `${end.reason.slice(0, 59)}…` : end.reason}` : 'ended';
}
