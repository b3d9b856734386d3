/**
 * A setting someone gave — an environment variable or an option — that cannot be honoured: a
 * value that is not one of the choices, or an engine that was asked for and cannot load. Start-up
 * fails with it instead of falling back to the next backend, which would hide the mistake behind
 * a run 10–50× slower.
 */
export class SettingError extends Error {
  override readonly name = 'SettingError';
}
