/** The LIVELOG_* variables that were set but empty when livelog started, as `dropEmptyVariables` found them. */
const emptied: string[] = [];

/**
 * Removes every LIVELOG_* variable set to '' (`LIVELOG_URL=` in a compose file, an `export` of a
 * variable a script never filled): an empty variable counts as unset, for every command and option.
 * Commander reads an option's variable whenever it exists, so `LIVELOG_URL=` was the URL "" (a usage
 * error) and `LIVELOG_TIME=` the mode "". Call it once, before the command line is parsed.
 */
export function dropEmptyVariables(env: NodeJS.ProcessEnv = process.env): void {
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith('LIVELOG_') || value !== '') continue;
    emptied.push(name);
    delete env[name];
  }
}

/** The environment as livelog was given it, the empty LIVELOG_* variables included: for the program `run` starts. */
export function callerEnvironment(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of emptied) env[name] = '';
  return env;
}
