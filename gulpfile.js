'use strict';
// Copies the SVG icons next to the compiled nodes and credentials (n8n resolves `file:` icons relative to them).
const { src, dest } = require('gulp');

function buildIcons() {
  return src(['icons/*.svg', 'nodes/**/*.svg', 'credentials/**/*.svg'], { base: '.' }).pipe(dest('dist'));
}

exports['build:icons'] = buildIcons;
