// CommonJS entry of vlcluster (package.json "exports" → "require"): a fresh `npm init` app is
// CommonJS. The package itself is ES modules; node ≥ 20.19 / 22.12 can require() them and this
// file hands them over. Older nodes cannot, and their ERR_REQUIRE_ESM does not say what to do.
'use strict';

try {
  module.exports = require('./index.js');
} catch (e) {
  const code = e && e.code;
  if (code !== 'ERR_REQUIRE_ESM' && code !== 'ERR_REQUIRE_ASYNC_MODULE') throw e;
  throw new Error(
    `vlcluster is an ES module, and this node (${process.version}) cannot require() it: in CommonJS write ` +
    "`const { clusterEmbeddings } = await import('vlcluster');` inside an async function (or use node ≥ 20.19 / 22.12, " +
    'or "type": "module" in your package.json)', { cause: e });
}
