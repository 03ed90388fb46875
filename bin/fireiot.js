#!/usr/bin/env node
// The `fireiot` command (package.json "bin"), usable as `npx fireiot …` right after `npm ci`:
// it runs the TypeScript sources of apps/cli through SWC, resolving the @fireiot/* aliases of
// tsconfig.base.json, so no build step stands between a fresh clone and the tool.
'use strict';
const path = require('node:path');

process.env.SWC_NODE_PROJECT = process.env.SWC_NODE_PROJECT || path.join(__dirname, '..', 'tsconfig.base.json');
require('@swc-node/register');
require('../apps/cli/src/main.ts');
