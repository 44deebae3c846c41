#!/usr/bin/env node
// Writes dist/index.mjs, the ESM entry of the `exports` map. It re-exports the CommonJS build:
// Node detects its named exports (TypeScript's `Object.defineProperty(exports, ...)` form).
'use strict';
const fs = require('fs');
const path = require('path');

const target = path.join(__dirname, '..', 'dist', 'index.mjs');
fs.writeFileSync(target, "export * from './index.js';\nimport nnkit from './index.js';\nexport default nnkit;\n");
