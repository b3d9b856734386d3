import yauzl from 'yauzl';
import { WeightFileError } from '../weight-file-error';

/**
 * Read-only access to the entries of a zip file (PyTorch's checkpoint container). Entries are
 * read one at a time, on demand, so a large checkpoint is never held twice in memory. PyTorch
 * stores entries uncompressed; deflated entries (an archive re-zipped by a tool) work too.
 */
export class ZipArchive {
  readonly #zip: yauzl.ZipFile;
  readonly #entries: Map<string, yauzl.Entry>;

  private constructor(readonly file: string, zip: yauzl.ZipFile, entries: Map<string, yauzl.Entry>) {
    this.#zip = zip;
    this.#entries = entries;
  }

  /** Open a zip file and list its entries; a truncated or corrupt file is a `WeightFileError`. */
  static async open(file: string): Promise<ZipArchive> {
    const zip = await new Promise<yauzl.ZipFile>((resolve, reject) => {
      yauzl.open(file, { lazyEntries: true, autoClose: false }, (error, opened) => {
        if (error || !opened) reject(new WeightFileError(file, `not a readable zip archive (truncated or corrupt?): ${error?.message ?? 'no archive'}`));
        else resolve(opened);
      });
    });
    try {
      const entries = await new Promise<Map<string, yauzl.Entry>>((resolve, reject) => {
        const found = new Map<string, yauzl.Entry>();
        zip.on('entry', (entry: yauzl.Entry) => {
          found.set(entry.fileName, entry);
          zip.readEntry();
        });
        zip.on('end', () => resolve(found));
        zip.on('error', (error: Error) => reject(new WeightFileError(file, `corrupt zip directory: ${error.message}`)));
        zip.readEntry();
      });
      return new ZipArchive(file, zip, entries);
    } catch (error) {
      zip.close();
      throw error;
    }
  }

  /** Entry names, in directory order. */
  get names(): string[] {
    return [...this.#entries.keys()];
  }

  has(name: string): boolean {
    return this.#entries.has(name);
  }

  /** Uncompressed size of an entry in bytes. */
  size(name: string): number {
    return this.entry(name).uncompressedSize;
  }

  /** The whole entry, in a fresh (8-byte aligned) buffer. */
  async read(name: string): Promise<Uint8Array> {
    const entry = this.entry(name);
    const out = new Uint8Array(entry.uncompressedSize);
    await new Promise<void>((resolve, reject) => {
      const fail = (error: Error): void => reject(new WeightFileError(this.file, `zip entry '${name}' cannot be read (truncated or corrupt?): ${error.message}`));
      this.#zip.openReadStream(entry, (error, stream) => {
        if (error || !stream) {
          fail(error ?? new Error('no stream'));
          return;
        }
        let cursor = 0;
        stream.on('data', (chunk: Buffer) => {
          if (cursor + chunk.length > out.length) {
            stream.destroy(new Error(`entry holds more than the ${out.length} bytes its header declares`));
            return;
          }
          out.set(chunk, cursor);
          cursor += chunk.length;
        });
        stream.on('error', fail);
        stream.on('end', () => {
          if (cursor !== out.length) fail(new Error(`read ${cursor} of ${out.length} bytes`));
          else resolve();
        });
      });
    });
    return out;
  }

  close(): void {
    this.#zip.close();
  }

  private entry(name: string): yauzl.Entry {
    const entry = this.#entries.get(name);
    if (!entry) throw new WeightFileError(this.file, `zip entry '${name}' is missing`);
    return entry;
  }
}
