/** `--color` values. */
export type ColorFlag = 'auto' | 'always' | 'never';

/**
 * Whether to write ANSI colours. `always` and `never` win; `auto` colours a terminal unless
 * `NO_COLOR` is set and non-empty (no-color.org) or `TERM=dumb`; `FORCE_COLOR` (non-empty, not
 * `0`) colours even a pipe, and `FORCE_COLOR=0` (or `false`) turns colours off even on a terminal,
 * as Node (`tty.getColorDepth`) and chalk read it.
 */
export function useColor(flag: ColorFlag, env: NodeJS.ProcessEnv, isTTY: boolean): boolean {
  if (flag === 'always') return true;
  if (flag === 'never') return false;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  const force = env.FORCE_COLOR;
  if (force === '0' || force === 'false') return false;
  if (force !== undefined && force !== '') return true;
  return isTTY && env.TERM !== 'dumb';
}
