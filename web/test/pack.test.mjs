// `npm pack` makes a tarball with the WebAssembly core (web/dist) that installs into a fresh folder
// (dependencies from the npm cache where it has them: --prefer-offline; a lockfile install leaves
// the cache without the registry metadata a strict --offline install needs), and the README's
// node example runs from it.
// The tarball is packed with --ignore-scripts: scripts/test.d/web.sh has run scripts/build-wasm
// (what `prepack` runs) before the tests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const built = existsSync(join(root, 'web/dist/vlc_wasm.mjs')) && existsSync(join(root, 'web/dist/vlc_wasm.wasm'));

/** The ```js block that follows the marker <!-- example: node --> in web/README.md. */
function readmeExample() {
  const text = readFileSync(join(root, 'web/README.md'), 'utf8');
  const m = /<!-- example: node -->\s*```js\n([\s\S]*?)```/.exec(text);
  assert.ok(m, 'web/README.md has a node example');
  return m[1];
}

test('npm pack -> offline install in a fresh folder -> the README example runs', { skip: built ? false : 'web/dist not built (scripts/build-wasm)', timeout: 180000 }, () => {
  const tmp = mkdtempSync(join(tmpdir(), 'vlc-pack-'));
  try {
    const env = { ...process.env, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' };
    const out = execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', tmp], { cwd: root, env, encoding: 'utf8' });
    const info = JSON.parse(out)[0];
    const names = info.files.map((f) => f.path);
    for (const f of ['web/dist/vlc_wasm.mjs', 'web/dist/vlc_wasm.wasm', 'web/src/cluster.js', 'web/src/worker.js', 'web/index.d.ts', 'web/README.md', 'package.json']) {
      assert.ok(names.includes(f), `tarball has ${f}`);
    }
    assert.ok(!names.some((f) => f.startsWith('node_modules/') || f.startsWith('build/')));
    const app = join(tmp, 'app');
    execFileSync('mkdir', ['-p', app]);
    writeFileSync(join(app, 'package.json'), '{"name": "app", "version": "1.0.0", "private": true, "type": "module"}\n');
    execFileSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', join(tmp, info.filename)], { cwd: app, env, stdio: 'pipe' });
    assert.ok(existsSync(join(app, 'node_modules/vlcluster/web/dist/vlc_wasm.wasm')));
    assert.ok(existsSync(join(app, 'node_modules/onnxruntime-web/package.json')), 'the dependency came from the cache');
    writeFileSync(join(app, 'example.mjs'), readmeExample());
    const printed = execFileSync(process.execPath, ['example.mjs'], { cwd: app, encoding: 'utf8' });
    assert.match(printed, /^k = 3$/m, printed);
    assert.match(printed, /^labels: Int32Array\(60\)/m, printed);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
