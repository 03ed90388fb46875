'use strict';
// The web console and unit app (apps/web) are a Vite bundle the platform serves on its HTTP port.
// `npm start` and `npm run demo` build it here when it is missing or older than its sources, so a
// fresh clone needs no build step; `npm run build` (CI) builds it with the rest.
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const root = path.join(__dirname, '..');
const source = path.join(root, 'apps', 'web');
const bundle = path.join(root, 'dist', 'apps', 'web');

function newestMtime(dir) {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : fs.statSync(full).mtimeMs);
  }
  return newest;
}

/** Builds the bundle if needed; returns its directory (FIREIOT_WEB_DIR), or null if it cannot be built. */
function ensureWebBundle(log = (line) => process.stderr.write(`${line}\n`)) {
  const index = path.join(bundle, 'index.html');
  if (!fs.existsSync(source)) return fs.existsSync(index) ? bundle : null;
  const built = fs.existsSync(index) ? fs.statSync(index).mtimeMs : 0;
  if (built >= newestMtime(source)) return bundle;
  log('building the web console (apps/web) …');
  const vite = path.join(path.dirname(require.resolve('vite/package.json', { paths: [root] })), 'bin', 'vite.js');
  // Built aside and renamed into place, so platforms starting together never serve a half-written bundle.
  const aside = `${bundle}.build-${process.pid}`;
  const result = spawnSync(
    process.execPath,
    [
      vite,
      'build',
      '--mode',
      'production',
      '--config',
      path.join(source, 'vite.config.mts'),
      '--outDir',
      aside,
      '--logLevel',
      'warn',
    ],
    // Always a production build: a test runner's NODE_ENV=test (Jest) would otherwise give Vite
    // React's and the router's development builds, several times slower in the browser.
    { cwd: root, stdio: 'inherit', env: { ...process.env, NODE_ENV: 'production' } },
  );
  if (result.status !== 0 || !fs.existsSync(path.join(aside, 'index.html'))) {
    fs.rmSync(aside, { recursive: true, force: true });
    log('the web console did not build; the platform runs without it (API and devices are unaffected)');
    return fs.existsSync(index) ? bundle : null;
  }
  try {
    fs.rmSync(bundle, { recursive: true, force: true });
    fs.renameSync(aside, bundle);
  } catch {
    // Another platform starting at the same moment put its (identical) build there first.
    fs.rmSync(aside, { recursive: true, force: true });
  }
  return bundle;
}

module.exports = { ensureWebBundle };
