import type { HostData, HostTensor } from '@harma/core';
import { PickleError, unpickle } from '../pickle/unpickler';
import { WeightFileError } from '../weight-file-error';
import { ELEMENT_BYTES, lastIndex, stridedCopy, typedView } from './strided-copy';
import { resolveTorchGlobal, storageLoader, type TorchStorageRef, type TorchTensorRef } from './torch-globals';
import { parseScriptClassStates, type ScriptClassState } from './torchscript';
import { ZipArchive } from './zip-archive';

/**
 * An opened PyTorch zip checkpoint (`torch.save` since 1.6, or a TorchScript archive): the
 * unpickled object tree with tensors as references, whose bytes are read only when asked for.
 */
export class TorchCheckpoint {
  private constructor(
    readonly file: string,
    /** What `torch.load` would return, with `TorchTensorRef` in place of tensors. */
    readonly root: unknown,
    /** A TorchScript archive (`torch.jit.save`), whose root is a `ScriptObject`. */
    readonly torchScript: boolean,
    /** Parameter/buffer declarations of the TorchScript classes (empty for plain checkpoints). */
    readonly scriptClasses: ReadonlyMap<string, ScriptClassState>,
    private readonly archive: ZipArchive,
    private readonly prefix: string,
  ) {}

  /** Open a checkpoint and unpickle its object tree (no tensor data is read yet). */
  static async open(file: string): Promise<TorchCheckpoint> {
    const archive = await ZipArchive.open(file);
    try {
      const pickles = archive.names.filter((name) => /^[^/]+\/data\.pkl$/.test(name) || name === 'data.pkl');
      if (pickles.length !== 1) {
        throw new WeightFileError(
          file,
          pickles.length === 0
            ? 'zip archive without a data.pkl record: not a PyTorch checkpoint'
            : `zip archive with ${pickles.length} data.pkl records (${pickles.join(', ')}): not one PyTorch checkpoint`,
        );
      }
      const pickleName = pickles[0] as string;
      const prefix = pickleName.slice(0, -'data.pkl'.length);
      if (archive.has(`${prefix}byteorder`)) {
        const order = new TextDecoder().decode(await archive.read(`${prefix}byteorder`)).trim();
        if (order !== 'little') throw new WeightFileError(file, `tensors are stored ${order}-endian; only little-endian checkpoints are read`);
      }
      const torchScript = archive.names.some((name) => name.startsWith(`${prefix}code/`)) || archive.has(`${prefix}constants.pkl`);
      const scriptClasses = torchScript ? await readScriptClasses(archive, prefix) : new Map<string, ScriptClassState>();
      const source = `${file}: ${pickleName}`;
      let root: unknown;
      try {
        root = unpickle(await archive.read(pickleName), {
          source,
          resolveGlobal: (module, name) => resolveTorchGlobal(module, name, { torchScript }),
          persistentLoad: storageLoader(),
        });
      } catch (error) {
        if (error instanceof PickleError) throw new WeightFileError(file, `${pickleName}: ${error.detail}`);
        throw error;
      }
      return new TorchCheckpoint(file, root, torchScript, scriptClasses, archive, prefix);
    } catch (error) {
      archive.close();
      throw error;
    }
  }

  /**
   * Read the tensors `refs` names into host memory in their stored element type, each a
   * row-major copy of its (possibly strided, offset or shared) view of a storage.
   */
  async readTensors(refs: ReadonlyMap<string, TorchTensorRef>): Promise<Map<string, HostTensor>> {
    const storages = new Map<string, HostData>();
    const users = new Map<string, number>();
    for (const ref of refs.values()) users.set(ref.storage.key, (users.get(ref.storage.key) ?? 0) + 1);
    const out = new Map<string, HostTensor>();
    for (const [name, ref] of refs) {
      const storage = storages.get(ref.storage.key) ?? (await this.readStorage(ref.storage, name));
      const last = lastIndex(ref.offset, ref.shape, ref.stride);
      if (last >= storage.length) {
        throw new WeightFileError(
          this.file,
          `view of shape [${ref.shape}] stride [${ref.stride}] at offset ${ref.offset} reaches element ${last} of storage '${ref.storage.key}', which holds ${storage.length}`,
          name,
        );
      }
      out.set(name, { dtype: ref.storage.dtype, shape: [...ref.shape], data: stridedCopy(storage, ref.offset, ref.shape, ref.stride) });
      // A storage shared by several tensors is read once and dropped after its last user.
      const left = (users.get(ref.storage.key) ?? 1) - 1;
      users.set(ref.storage.key, left);
      if (left > 0) storages.set(ref.storage.key, storage);
      else storages.delete(ref.storage.key);
    }
    return out;
  }

  close(): void {
    this.archive.close();
  }

  private async readStorage(storage: TorchStorageRef, tensor: string): Promise<HostData> {
    const entry = `${this.prefix}data/${storage.key}`;
    if (!this.archive.has(entry)) throw new WeightFileError(this.file, `its storage '${storage.key}' (${entry}) is missing from the archive`, tensor);
    const needed = storage.numel * ELEMENT_BYTES[storage.dtype];
    const size = this.archive.size(entry);
    if (size < needed) {
      throw new WeightFileError(this.file, `storage '${storage.key}' holds ${size} bytes but ${storage.numel} ${storage.dtype} elements need ${needed}`, tensor);
    }
    const bytes = await this.archive.read(entry);
    return typedView(storage.dtype, bytes, storage.numel);
  }
}

async function readScriptClasses(archive: ZipArchive, prefix: string): Promise<Map<string, ScriptClassState>> {
  const codePrefix = `${prefix}code/__torch__/`;
  const files = new Map<string, string>();
  for (const name of archive.names) {
    if (name.startsWith(codePrefix) && name.endsWith('.py')) {
      files.set(name.slice(codePrefix.length), new TextDecoder().decode(await archive.read(name)));
    }
  }
  return parseScriptClassStates(files);
}
