/**
 * Examples printed after each command's `--help`, kept in one place so that every command shows some
 * and they read alike. Commands without an entry print none.
 */
export const HELP_EXAMPLES: Readonly<Record<string, readonly string[]>> = {
  livelog: [
    'livelog serve                              # the server and its console at http://127.0.0.1:7600/',
    'livelog run -- npm test                    # run a command and watch its output in the console',
    'livelog tail http://127.0.0.1:7600 -n 100  # print the last 100 entries, then follow',
  ],
  serve: [
    'livelog serve',
    'livelog serve --port 8080 --data /var/lib/livelog --retain-age 7d',
    'LIVELOG_TOKENS=s3cret-read:read,s3cret-ship:ingest livelog serve --host 0.0.0.0',
    'livelog serve --store redis://127.0.0.1:6379/0?key=livelog   # needs @livelog/redis',
  ],
  healthcheck: ['livelog healthcheck', 'livelog healthcheck --url http://logs.internal:7600 --timeout 1s'],
  run: [
    'livelog run -- make test                     # ship to a console started here, at http://127.0.0.1:7600/',
    'livelog run --name api --server http://127.0.0.1:7600 -- node server.js --port 3000',
    "livelog run --server https://logs.example.com --stream build-$BUILD_ID -- make   # one stream per CI job, ended with make's exit code",
    "livelog tail https://logs.example.com --stream build-$BUILD_ID                  # follow it elsewhere; exits with the job's code",
    'LIVELOG_URL=https://logs.example.com LIVELOG_TOKEN=s3cret-ship livelog run --spool .livelog-spool -- ./deploy.sh',
  ],
  pipe: [
    'tail -F /var/log/nginx/access.log | livelog pipe --server http://127.0.0.1:7600 --source nginx',
    'make 2>&1 | livelog pipe -S build --server http://127.0.0.1:7600 --exit',
    './import.sh 2>&1 | livelog pipe --server http://127.0.0.1:7600 --stream import-2024-06 --end   # its own stream, ended when the input ends',
    "livelog pipe --server http://127.0.0.1:7600 --follow '/var/log/app/*.log' --checkpoint /var/lib/livelog/app.ckpt   # follow files across rotation, resuming exactly after a restart",
  ],
  tail: [
    'livelog tail                               # the last 10 lines of http://127.0.0.1:7600 (or LIVELOG_URL), then follow',
    'livelog tail https://logs.example.com -n 100 --level warn --source api,worker',
    "livelog tail https://logs.example.com --stream build-1234 -n all   # a job's whole stream; exits with its exit code when it ends",
    'livelog tail -n all --no-follow -o json > all.ndjson',
    'livelog tail --since 1h30m -i "timeout|refused"',
    'livelog tail --query \'level:>=warn "connection reset" -source:healthcheck\'',
  ],
  search: [
    'livelog search timeout                     # every entry holding "timeout", oldest first',
    'livelog search https://logs.example.com \'level:>=warn "connection reset"\' -C 3',
    "livelog search --stream build-1234 'error -flaky' --since 1h --until 10m -m 5",
    "livelog search 'user.id:42' -o json | jq .msg",
  ],
  streams: [
    'livelog streams                            # every stream of http://127.0.0.1:7600, newest activity first',
    'livelog streams https://logs.example.com --prefix build- --label branch=main',
    'livelog streams -o json | jq -r \'.[] | select(.state == "ended") | .name\'',
  ],
  verify: [
    'livelog verify http://127.0.0.1:7600',
    'livelog verify https://logs.example.com --token "$ADMIN_TOKEN"   # through every proxy on the way; the test stream is deleted afterwards',
    'livelog verify http://127.0.0.1:7600 --count 20000 --cuts 200 --json',
  ],
};

/** The examples of `name` as a help section, or undefined when it has none. */
export function helpExamples(name: string): string | undefined {
  const lines = HELP_EXAMPLES[name];
  return lines === undefined ? undefined : `\nExamples:\n${lines.map((line) => `  $ ${line}`).join('\n')}\n`;
}
