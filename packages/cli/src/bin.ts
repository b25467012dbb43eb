#!/usr/bin/env node
import { dropEmptyVariables } from './empty-variables.js';
import { createProgram } from './program.js';

dropEmptyVariables();
await createProgram().parseAsync(process.argv);
