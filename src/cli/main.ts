#!/usr/bin/env node
/**
 * The `holdfast` bin. Routing lives in program.ts and each command in commands/<name>.ts;
 * this file only runs them and exits with their code.
 */
import { runCli } from './program.js';

const code = await runCli(process.argv.slice(2));
// Let piped output drain before exiting: process.exit would cut a large `jobs --json` short on
// platforms where pipes are asynchronous.
process.stdout.write('', () => process.exit(code));
