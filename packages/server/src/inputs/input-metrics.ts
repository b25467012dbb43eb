import { Counter, type Registry } from 'prom-client';

const NAME = 'livelog_input_lines_total';

/** Which protocol a line arrived by. */
export type InputName = 'otlp' | 'loki' | (string & {});

/**
 * Counts lines per input and outcome (`accepted`: stored; `rejected`: refused, alone or with their
 * request) in `livelog_input_lines_total{input,outcome}`. Every input shares the one counter of a
 * registry, created by whichever input counts first.
 */
export function countInputLines(registry: Registry, input: InputName, outcome: 'accepted' | 'rejected', lines: number): void {
  if (lines <= 0) return;
  const counter =
    (registry.getSingleMetric(NAME) as Counter<'input' | 'outcome'> | undefined) ??
    new Counter({
      name: NAME,
      help: 'Lines received by each input (otlp, loki, ...), by outcome: accepted (stored) or rejected.',
      labelNames: ['input', 'outcome'],
      registers: [registry],
    });
  counter.inc({ input, outcome }, lines);
}
