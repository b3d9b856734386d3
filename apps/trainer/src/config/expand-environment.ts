/**
 * Replace `${NAME}` and `${NAME:-default}` in every string of a parsed config with environment
 * values, so shipped configs can point at `${HARMA_DATA}/rsitmd` without editing. An unset
 * variable without a default is an error naming it and where it is used.
 */
export function expandEnvironment(value: unknown, environment: NodeJS.ProcessEnv = process.env, where = ''): unknown {
  if (typeof value === 'string') {
    return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g, (_, name: string, fallback: string | undefined) => {
      const found = environment[name];
      if (found !== undefined && found !== '') return found;
      if (fallback !== undefined) return fallback;
      throw new Error(`${where || '(root)'}: environment variable ${name} is not set (use \${${name}:-default} for a default)`);
    });
  }
  if (Array.isArray(value)) return value.map((item, index) => expandEnvironment(item, environment, `${where}[${index}]`));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, expandEnvironment(item, environment, where ? `${where}.${key}` : key)]));
  }
  return value;
}
