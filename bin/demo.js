#!/usr/bin/env node
// `npm run demo`: the platform plus a simulated fleet (apps/platform/src/demo.ts), from sources.
'use strict';
const path = require('node:path');

process.env.SWC_NODE_PROJECT = process.env.SWC_NODE_PROJECT || path.join(__dirname, '..', 'tsconfig.base.json');
if (process.env.FIREIOT_WEB_DIR === undefined) {
  const web = require('./web-bundle.js').ensureWebBundle();
  if (web !== null) process.env.FIREIOT_WEB_DIR = web;
}
require('@swc-node/register');
require('../apps/platform/src/demo.ts');
