import { Option } from 'commander';
import { ADAPTER_METHODS, ADAPTER_METHOD_NAMES } from '@harma/adapters';

/** `--adapter <method>`: the choices and their help lines come from @harma/adapters' table of methods. */
export function adapterOption(): Option {
  const methods = ADAPTER_METHOD_NAMES.map((name) => `${name}: ${ADAPTER_METHODS[name].description}`).join('; ');
  return new Option('--adapter <method>', `adapter method — ${methods}`).choices([...ADAPTER_METHOD_NAMES]);
}
