#!/usr/bin/env node
// The alerting app alone (distributed mode, docker-compose.yml): runs apps/alerting from its TypeScript sources through SWC (no build step between
// a fresh clone and a running platform), resolving the @fireiot/* aliases of tsconfig.base.json.
'use strict';
const path = require('node:path');

process.env.SWC_NODE_PROJECT = process.env.SWC_NODE_PROJECT || path.join(__dirname, '..', 'tsconfig.base.json');
require('@swc-node/register');
require('../apps/alerting/src/main.ts');
