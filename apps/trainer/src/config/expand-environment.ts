/**
 * Called for every `${NAME}` taken from the environment (not for a `:-default`), with where it is
 * used and whether it starts the string: lets the caller treat the value as a command-line value.
 */
export type EnvironmentValueHook = (value: string, use: { name: string; where: string; atStart: boolean }) => string;

/**
 * Replace `${NAME}` and `${NAME:-default}` in every string of a parsed config with environment
 * values, so shipped configs can point at `${HARMA_DATA}/rsitmd` without editing. An unset
 * variable without a default is an error naming it and where it is used.
 */
export function expandEnvironment(value: unknown, environment: NodeJS.ProcessEnv = process.env, where = '', onValue?: EnvironmentValueHook): unknown {
  if (typeof value === 'string') {
    return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g, (_, name: string, fallback: string | undefined, offset: number) => {
      const found = environment[name];
      if (found !== undefined && found !== '') return onValue ? onValue(found, { name, where, atStart: offset === 0 }) : found;
      if (fallback !== undefined) return fallback;
      throw new Error(`${where || '(root)'}: environment variable ${name} is not set (use \${${name}:-default} for a default)`);
    });
  }
  if (Array.isArray(value)) return value.map((item, index) => expandEnvironment(item, environment, `${where}[${index}]`, onValue));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, expandEnvironment(item, environment, where ? `${where}.${key}` : key, onValue)]));
  }
  return value;
}
