#!/usr/bin/env node
'use strict';
/*
 * Runs a TypeScript file with @swc-node/register, resolving the workspace path aliases
 * (`@fireiot/*`) from tsconfig.base.json:
 *
 *   node bench/run-ts.js <file.ts> [args...]
 *   node --cpu-prof bench/run-ts.js protocols/gb26875/bench/codec.bench.ts
 *
 * The script sees itself as process.argv[1] and its own arguments from process.argv[2] on.
 */
const path = require('node:path');
const fs = require('node:fs');

const root = path.resolve(__dirname, '..');
const [, , target, ...rest] = process.argv;
if (!target) {
  console.error('usage: node bench/run-ts.js <file.ts> [args...]');
  process.exit(2);
}
const file = path.resolve(process.cwd(), target);
if (!fs.existsSync(file)) {
  console.error(`run-ts: no such file: ${file}`);
  process.exit(2);
}

// Must be set before @swc-node/register reads its tsconfig (it does so when required).
process.env.SWC_NODE_PROJECT = path.join(root, 'tsconfig.base.json');
require('@swc-node/register');

process.argv = [process.argv[0], file, ...rest];
require(file);
