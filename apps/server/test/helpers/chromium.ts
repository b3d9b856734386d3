// Where the browser tests' Chromium is and how it starts; without vitest, so that scripts (bench/) use it too.

/** The Chromium the browser tests drive: Debian's package (installed by .ci/run), or `$HARMA_CHROMIUM`. */
export const CHROMIUM = process.env.HARMA_CHROMIUM ?? '/usr/bin/chromium';

/** Flags for a headless, offline, quiet Chromium in a container. */
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
