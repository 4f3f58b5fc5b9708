// TypeScript users (issue 16): every ```js example of web/README.md type-checks against the
// package's own types (web/index.d.ts, through package.json "exports") with `tsc --noEmit` in
// strict mode, checkJs on, as an app that installed the package would see them. The free
// variables the examples assume (an <input type=file>, model URLs) are declared beside them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readmeBlocks } from '../testing/readme.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const tsc = join(root, 'node_modules/typescript/bin/tsc');

const GLOBALS = `// What the README's examples take as given.
declare const fileInput: HTMLInputElement;
declare const files: File[];
declare const vision: string, text: string, vocab: string, merges: string;
`;

const TSCONFIG = {
  compilerOptions: {
    target: 'es2022', module: 'nodenext', moduleResolution: 'nodenext', lib: ['es2022', 'dom', 'dom.iterable'],
    strict: true, noEmit: true, allowJs: true, checkJs: true, skipLibCheck: false, types: [],
  },
  include: ['*.mjs', '*.d.ts'],
};

/** Runs tsc in `dir`; its output ('' when clean) and exit code. */
function typeCheck(dir) {
  try {
    return { out: execFileSync(process.execPath, [tsc, '-p', dir], { encoding: 'utf8', stdio: 'pipe' }), code: 0 };
  } catch (e) {
    return { out: `${e.stdout}${e.stderr}`, code: e.status };
  }
}

/** A folder that sees the package as an installed dependency, with the given files. */
function project(files) {
  const dir = mkdtempSync(join(tmpdir(), 'vlc-tsc-'));
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(root, join(dir, 'node_modules/vlcluster'), 'dir');
  writeFileSync(join(dir, 'package.json'), '{"name": "ts-app", "private": true, "type": "module"}\n');
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(TSCONFIG));
  writeFileSync(join(dir, 'globals.d.ts'), GLOBALS);
  for (const [name, code] of Object.entries(files)) writeFileSync(join(dir, name), code);
  return dir;
}

test('tsc --noEmit: the README\'s examples type-check against the package\'s types', { skip: existsSync(tsc) ? false : 'typescript is not installed (scripts/setup)', timeout: 120000 }, () => {
  const examples = readmeBlocks().filter((b) => b.lang === 'js');
  assert.ok(examples.length >= 4, `the README has its examples (${examples.length})`);
  const dir = project(Object.fromEntries(examples.map((b, i) => [`example-${i}${b.name ? `-${b.name}` : ''}.mjs`, b.code])));
  try {
    const { out, code } = typeCheck(dir);
    assert.equal(code, 0, `tsc found errors in the README's examples:\n${out}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('tsc --noEmit catches a wrong call (the check is real): a number for files, an unknown option', { skip: existsSync(tsc) ? false : 'typescript is not installed', timeout: 120000 }, () => {
  const dir = project({
    'wrong.mjs': "import { clusterImages, clusterEmbeddings } from 'vlcluster';\n"
      + "await clusterImages(5, { model: '/m/' });\n"
      + 'await clusterEmbeddings(new Float32Array(4), null, { dim: 2, numImages: 2, tua: 1 });\n',
    'right.mjs': "import { clusterImages } from 'vlcluster';\n"
      + "await clusterImages(fileInput.files ?? [], { model: '/m/' });\n"
      + "await clusterImages([new Blob([])], { model: '/m/' });\n"
      + "await clusterImages(files, { model: '/m/' });\n",
  });
  try {
    const { out, code } = typeCheck(dir);
    assert.notEqual(code, 0);
    assert.match(out, /wrong\.mjs\(2,\d+\): error TS2345: Argument of type 'number'/);
    assert.match(out, /wrong\.mjs\(3,\d+\): error TS2353: Object literal may only specify known properties, and 'tua'/);
    assert.doesNotMatch(out, /right\.mjs/, 'FileList, Blob[] and File[] are accepted');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
