// chop: renders Vega-Lite specs to standalone SVG files with the same vega and vega-lite
// bundles the HTML report inlines: vega-lite compiles, a headless vega View (renderer "none")
// lays the chart out and view.toSVG() writes it. Text widths are vega's estimate (no canvas).
// Usage: node render_svg.js BUNDLE_DIR JOBS_JSON, JOBS_JSON = [{"file": path, "spec": {...}}].
'use strict';
const fs = require('fs');
const path = require('path');

// Loads a UMD bundle as CommonJS with the given dependencies.
function load(file, deps) {
  const module = {exports: {}};
  const code = fs.readFileSync(file, 'utf8');
  new Function('exports', 'require', 'module', code)(module.exports, (n) => deps[n], module);
  return module.exports;
}

async function main() {
  const [dir, jobsFile] = process.argv.slice(2);
  const vega = load(path.join(dir, 'vega.min.js'), {});
  const vegaLite = load(path.join(dir, 'vega-lite.min.js'), {vega});
  const jobs = JSON.parse(fs.readFileSync(jobsFile, 'utf8'));
  for (const job of jobs) {
    const warnings = [];
    const logger = {
      level() { return this; },
      warn(...m) { warnings.push(m.join(' ')); return this; },
      info() { return this; },
      debug() { return this; },
      error(...m) { throw new Error(m.join(' ')); },
    };
    const compiled = vegaLite.compile(job.spec, {logger}).spec;
    const view = new vega.View(vega.parse(compiled), {renderer: 'none', logLevel: vega.Error});
    const svg = await view.toSVG();
    view.finalize();
    const tmp = job.file + '.tmp';
    fs.writeFileSync(tmp, svg);
    fs.renameSync(tmp, job.file);
    for (const w of warnings) process.stderr.write(path.basename(job.file) + ': ' + w + '\n');
  }
}

main().catch((e) => {
  process.stderr.write('render_svg: ' + ((e && e.stack) || e) + '\n');
  process.exit(1);
});
