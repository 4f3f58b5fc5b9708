// `npm pack` makes a tarball with the WebAssembly core (web/dist) that installs into a fresh folder
// (dependencies from the npm cache where it has them: --prefer-offline; a lockfile install leaves
// the cache without the registry metadata a strict --offline install needs), and the README's
// node example runs from it, in an ES-module app and through require() in a CommonJS one (what a
// fresh `npm init` makes); the licence travels with it.
// The tarball is packed with --ignore-scripts: scripts/test.d/web.sh has run scripts/build-wasm
// (what `prepack` runs) before the tests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readmeExample } from '../testing/readme.mjs';
import { execFile } from 'node:child_process';
import { serveHub } from '../testing/hub.mjs';
import { writePhotoFolder } from '../testing/photos.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const built = existsSync(join(root, 'web/dist/vlc_wasm.mjs')) && existsSync(join(root, 'web/dist/vlc_wasm.wasm'));

/** package.json says MIT, and the LICENSE beside it is the MIT text with the project's copyright. */
function checkLicense(dir) {
  assert.equal(JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).license, 'MIT');
  const text = readFileSync(join(dir, 'LICENSE'), 'utf8');
  assert.match(text, /^MIT License\n\nCopyright \(c\) 2026 the vlcluster authors\n/);
  assert.match(text, /THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND/);
}

/**
 * A CommonJS app (package.json without "type", as `npm init` writes it) beside the installed
 * package: require('vlcluster') works on a node that can require() ES modules; where it cannot
 * (forced with --no-experimental-require-module), the error says to use import().
 */
function checkCommonJs(dir, env) {
  execFileSync('mkdir', ['-p', dir]);
  writeFileSync(join(dir, 'package.json'), '{"name": "cjs-app", "version": "1.0.0", "main": "index.js", "license": "ISC"}\n');
  writeFileSync(join(dir, 'index.js'), "const vlc = require('vlcluster');\nconsole.log(typeof vlc.clusterEmbeddings, typeof vlc.clusterImages);\n");
  const flag = '--no-experimental-require-module';
  const run = (args) => execFileSync(process.execPath, [...args, 'index.js'], { cwd: dir, env, encoding: 'utf8', stdio: 'pipe' });
  // A node that cannot require() ES modules at all (before 20.19) has no such flag.
  const canRequireEsm = process.allowedNodeEnvironmentFlags.has(flag);
  if (canRequireEsm) assert.equal(run([]).trim(), 'function function');
  assert.throws(() => run(canRequireEsm ? [flag] : []), (e) => {
    assert.match(String(e.stderr), /vlcluster is an ES module, and this node \(v[\d.]+\) cannot require\(\) it: in CommonJS write `const \{ clusterEmbeddings \} = await import\('vlcluster'\);`/);
    return true;
  });
}

test('npm pack -> offline install in a fresh folder -> the README example runs', { skip: built ? false : 'web/dist not built (scripts/build-wasm)', timeout: 180000 }, async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'vlc-pack-'));
  try {
    // onnxruntime-node (the CLI's optional dependency) downloads extra binaries at install unless told not to: no network here.
    const env = { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip', npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' };
    const out = execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', tmp], { cwd: root, env, encoding: 'utf8' });
    const info = JSON.parse(out)[0];
    const names = info.files.map((f) => f.path);
    for (const f of ['web/dist/vlc_wasm.mjs', 'web/dist/vlc_wasm.wasm', 'web/src/cluster.js', 'web/src/photo_session.js', 'web/src/worker.js', 'web/src/index.cjs', 'web/index.d.ts', 'web/README.md', 'package.json', 'LICENSE',
      'web/cli/vlcluster.mjs', 'models/vocab/wordnet_nouns.tsv', 'models/build_text_assets.mjs']) {
      assert.ok(names.includes(f), `tarball has ${f}`);
    }
    assert.ok(!names.some((f) => f.startsWith('node_modules/') || f.startsWith('build/')));
    const app = join(tmp, 'app');
    execFileSync('mkdir', ['-p', app]);
    writeFileSync(join(app, 'package.json'), '{"name": "app", "version": "1.0.0", "private": true, "type": "module"}\n');
    execFileSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', join(tmp, info.filename)], { cwd: app, env, stdio: 'pipe' });
    assert.ok(existsSync(join(app, 'node_modules/vlcluster/web/dist/vlc_wasm.wasm')));
    assert.ok(existsSync(join(app, 'node_modules/onnxruntime-web/package.json')), 'the dependency came from the cache');
    writeFileSync(join(app, 'example.mjs'), readmeExample('node'));
    const printed = execFileSync(process.execPath, ['example.mjs'], { cwd: app, encoding: 'utf8' });
    assert.match(printed, /^k = 3$/m, printed);
    assert.match(printed, /^labels: Int32Array\(60\)/m, printed);
    checkLicense(join(app, 'node_modules/vlcluster'));
    checkCommonJs(join(app, 'cjs'), env);
    await checkBin(app, env, tmp);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

/**
 * The installed package's bin (what `npx vlcluster` runs): `photos` on generated photos with the
 * tiny model from the local hub, its vocabulary built from the noun list inside the tarball.
 */
async function checkBin(app, env, tmp) {
  const hub = await serveHub();
  try {
    const photos = join(tmp, 'photos');
    await writePhotoFolder(photos);
    const bin = join(app, 'node_modules/.bin/vlcluster');
    const { code, stderr } = await new Promise((resolve) => {
      execFile(bin, ['photos', photos, '--model', 'test/tiny-clip', '--out', join(tmp, 'out'), '--engine', 'wasm'], {
        cwd: app, encoding: 'utf8', env: { ...env, VLC_HUB_URL: hub.base, VLC_CACHE_DIR: join(tmp, 'cache') },
      }, (err, _stdout, stderr) => resolve({ code: err ? err.code : 0, stderr }));
    });
    assert.equal(code, 0, stderr);
    assert.match(stderr, /building the noun vocabulary/);
    const result = JSON.parse(readFileSync(join(tmp, 'out/result.json'), 'utf8'));
    assert.equal(result.groups.length, 2);
    // the WebP photos too: the installed package's WebP decoder (a dependency) and its .wasm work
    const grouped = result.groups.flatMap((/** @type {{files: string[]}} */ g) => g.files);
    for (const f of ['g0-1.webp', 'g1-4.webp']) assert.ok(grouped.includes(f), `${f} grouped: ${grouped}`);
    assert.ok(existsSync(join(tmp, 'out/index.html')));
  } finally {
    await hub.close();
  }
}
