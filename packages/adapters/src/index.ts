// HarMA: the multimodal gated adapter
export { MMadapter, gatedAdapterTransform } from './harma/mm-adapter';
export type { MMadapterOptions } from './harma/mm-adapter';
export { BiShareAdapter, GATE_INIT } from './harma/bishare-adapter';
export type { BiShareAdapterOptions } from './harma/bishare-adapter';
export { attachHarma, HarmaAttachment } from './harma/attach-harma';
export type { HarmaBlockAdapter } from './harma/attach-harma';
export { resolveHarmaOptions, BISHARE_PLACEMENTS } from './harma/harma-options';
export type { HarmaOptions, HarmaTowerOptions, ResolvedHarmaOptions, ResolvedHarmaTower, BisharePlacement } from './harma/harma-options';
export { freezeForHarma } from './harma/freeze';
export { isAdapterParameterName } from './adapter-parameter-name';

// Baselines
export { attachLora, LoraAttachment, LoraUpdate, resolveLoraOptions, LORA_TARGETS } from './baselines/lora';
export type { LoraOptions, ResolvedLoraOptions, LoraTarget } from './baselines/lora';
export { attachClipAdapter, ClipAdapterAttachment, ClipAdapterMlp, resolveClipAdapterOptions } from './baselines/clip-adapter';
export type { ClipAdapterOptions, ResolvedClipAdapterOptions } from './baselines/clip-adapter';

// Attachments and files
export { attachmentsOf } from './attachment';
export type { AdapterAttachment, AdapterKind, AttachmentCount } from './attachment';
export { TEMPERATURE_NAME, DEFAULT_TEMPERATURE } from './temperature';
export { saveAdapters, loadAdapters, loadAdapterTensors, ADAPTERS_FILE_FORMAT } from './adapters-file';
export type { AnyAttachment, SaveAdaptersOptions, SavedAdapters, LoadAdaptersOptions, LoadAdapterTensorsOptions } from './adapters-file';
