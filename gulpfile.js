'use strict';
// Copies the SVG icons next to the compiled nodes and credentials (n8n resolves `file:` icons relative to them), the
// nodes' output schemas (n8n serves `__schema__/` from beside the node file), and the dashboard's static files next to
// the compiled runtime.
const { src, dest, parallel } = require('gulp');

function buildIcons() {
  return src(['icons/*.svg', 'nodes/**/*.svg', 'credentials/**/*.svg'], { base: '.' }).pipe(dest('dist'));
}

function buildSchemas() {
  return src('nodes/**/__schema__/**/*.json', { base: '.' }).pipe(dest('dist'));
}

function buildDashboard() {
  return src('src/runtime/dashboard/public/*', { base: '.', encoding: false }).pipe(dest('dist'));
}

exports['build:assets'] = parallel(buildIcons, buildSchemas, buildDashboard);
