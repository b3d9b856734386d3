import readline from 'node:readline';
import { ClipTokenizer } from '@harma/backbones';

export interface TokenizeOptions {
  vocab: string;
  contextLength?: number;
  /** Keep the zero padding up to the context length. */
  pad?: boolean;
}

/** `harma tokenize`: one caption per stdin line → one JSON line `{ "text", "ids" }` on stdout. */
export async function tokenizeCommand(options: TokenizeOptions, input: NodeJS.ReadableStream, output: NodeJS.WritableStream): Promise<number> {
  const tokenizer = await ClipTokenizer.load(options.vocab, { contextLength: options.contextLength ?? 77 });
  let count = 0;
  for await (const line of readline.createInterface({ input, crlfDelay: Infinity })) {
    const ids = options.pad ? Array.from(tokenizer.encode([line])) : tokenizer.encodeOne(line);
    output.write(`${JSON.stringify({ text: line, ids })}\n`);
    count += 1;
  }
  return count;
}
