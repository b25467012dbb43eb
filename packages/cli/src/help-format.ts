import type { Help, Option } from 'commander';

/**
 * An option's help line: its description, then choices, default and variable in parentheses, as
 * commander writes them, except that a default is not repeated when the description already states
 * one (`keep following (default)` used to read `(default) (default: true)`), and `false` and `[]`
 * defaults, which say nothing to a user, are left out.
 */
export function optionDescription(option: Option): string {
  const extra: string[] = [];
  if (option.argChoices) extra.push(`choices: ${option.argChoices.join(', ')}`);
  const value: unknown = option.defaultValue;
  const stated = /\bdefault\b/.test(option.description);
  const empty = value === undefined || value === false || (Array.isArray(value) && value.length === 0);
  if (!stated && !empty)
    extra.push(`default: ${option.defaultValueDescription ?? (typeof value === 'string' ? value : JSON.stringify(value))}`);
  if (option.envVar !== undefined) extra.push(`env: ${option.envVar}`);
  return extra.length === 0 ? option.description : `${option.description} (${extra.join(', ')})`.trim();
}

/** The help settings every livelog command shares. */
export const HELP_CONFIG: Partial<Help> = { optionDescription };
