// The browsable result of `vlcluster photos`: one HTML page, a contact sheet of the groups, each
// headed by its name (and runners-up), thumbnails linking to the photos. Self-contained (no
// script, inline style) so it opens from the disk.

/** @param {string} s */
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

/** A path relative to the page, as a URL path (each segment escaped). @param {string} p */
const href = (p) => p.split(/[\\/]/).map(encodeURIComponent).join('/');

/**
 * @param {{model: string, engine: string, k: number, groups: {id: number, name: string, runnersUp: string[], files: string[]}[], skipped: {file: string, message: string}[]}} result
 * @param {string} photosFromPage the photos folder relative to the page's folder
 */
export function contactSheet(result, photosFromPage) {
  const total = result.groups.reduce((n, g) => n + g.files.length, 0);
  const groups = result.groups.map((g) => `<section id="group-${g.id}">
<h2>${esc(g.name || `group ${g.id}`)} <small>${g.files.length} photo${g.files.length === 1 ? '' : 's'}${g.runnersUp.length ? ` · also: ${g.runnersUp.map(esc).join(', ')}` : ''}</small></h2>
<div class="sheet">${g.files.map((f) => {
    const src = href(`${photosFromPage}/${f}`);
    return `<a href="${src}" title="${esc(f)}"><img src="${src}" alt="${esc(f)}" loading="lazy"></a>`;
  }).join('')}</div>
</section>`).join('\n');
  const skipped = result.skipped.length
    ? `<section><h2>Skipped <small>${result.skipped.length}</small></h2><ul>${result.skipped.map((s) => `<li>${esc(s.file)}: ${esc(s.message)}</li>`).join('')}</ul></section>`
    : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>vlcluster: ${result.groups.length} groups</title>
<style>
body { font: 15px/1.4 system-ui, sans-serif; margin: 1.5rem; color: #222; }
h1 { font-size: 1.3rem; } h2 { font-size: 1.1rem; margin: 1.5rem 0 .5rem; } small { color: #777; font-weight: normal; }
.sheet { display: flex; flex-wrap: wrap; gap: 6px; }
.sheet img { width: 120px; height: 120px; object-fit: cover; border-radius: 4px; background: #eee; }
</style></head><body>
<h1>${total} photos in ${result.groups.length} groups</h1>
<p><small>model ${esc(result.model)} · clustered with the ${result.engine === 'native' ? 'native vlcluster' : 'WASM core'}</small></p>
${groups}
${skipped}
</body></html>
`;
}
