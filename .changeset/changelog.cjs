// Changelog lines written by `changeset version` (see config.json). Each changeset's summary as its
// author wrote it, and one "Updated dependencies" entry per release listing the new versions: the
// stock generator repeats that line once for every changeset behind a dependency bump.
'use strict';

async function getReleaseLine(changeset) {
  const [first, ...rest] = changeset.summary.split('\n').map((line) => line.trimEnd());
  return [`- ${first}`, ...rest.map((line) => (line ? `  ${line}` : line))].join('\n');
}

async function getDependencyReleaseLine(_changesets, dependenciesUpdated) {
  if (dependenciesUpdated.length === 0) return '';
  return ['- Updated dependencies:', ...dependenciesUpdated.map((dependency) => `  - ${dependency.name}@${dependency.newVersion}`)].join('\n');
}

module.exports = { getReleaseLine, getDependencyReleaseLine };
