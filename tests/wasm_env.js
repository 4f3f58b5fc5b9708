// Emscripten gives getenv() an empty environment of its own; the suite reads a few
// variables that scripts/test sets (cross-target label file, target name), so copy them in.
Module['preRun'] = Module['preRun'] || [];
Module['preRun'].push(function () {
  for (const name of ['VLC_CROSS_LABELS', 'VLC_TARGET']) {
    if (process.env[name] !== undefined) ENV[name] = process.env[name];
  }
});
