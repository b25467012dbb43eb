#!/usr/bin/env node
// `prepack` of @livelog/server: compiles it and puts a fresh build of the web console beside it (see
// copy-console-assets.mjs, which the console build runs), so the tarball is complete whatever state the working tree was in.
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const run = (command, args) => execFileSync(command, args, { cwd: root, stdio: 'inherit' });
run('npx', ['tsc', '-b', 'packages/server']);
run('npm', ['run', 'build', '--silent', '-w', '@livelog/console']);
