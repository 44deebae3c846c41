// Compiles lib/ to dist/ once before the suite, so tests that run the built package (CLI, ESM
// entry, packaging) never see a stale build.
const { execFileSync } = require('child_process');
const path = require('path');

module.exports = async () => {
  const root = path.join(__dirname, '..', '..');
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
  execFileSync(process.execPath, [path.join(root, 'scripts', 'write-esm.js')], { cwd: root, stdio: 'inherit' });
};
