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

// Baselines
export { attachLora, LoraAttachment, LoraUpdate, resolveLoraOptions, LORA_TARGETS } from './baselines/lora';
export type { LoraOptions, ResolvedLoraOptions, LoraTarget } from './baselines/lora';
export { attachClipAdapter, ClipAdapterAttachment, ClipAdapterMlp, resolveClipAdapterOptions } from './baselines/clip-adapter';
export type { ClipAdapterOptions, ResolvedClipAdapterOptions } from './baselines/clip-adapter';

// The table of adapter methods, and the names of adapter parameters
export { ADAPTER_METHODS, ADAPTER_METHOD_NAMES, adapterMethod, attachingMethodNames, configuredAdapterOptions, isAdapterKind } from './adapter-methods';
export type { AdapterMethod, AdapterMethodName, AdapterKind, AdapterOptions, AdapterRunSettings, AnyAdapterMethod, AnyAttachment, PlainBackboneMethod } from './adapter-methods';
export { isAdapterParameterName } from './adapter-parameter-name';

// Attachments and files
export { attachmentsOf } from './attachment';
export type { AdapterAttachment, AttachmentCount } from './attachment';
export { TEMPERATURE_NAME, DEFAULT_TEMPERATURE } from './temperature';
export { saveAdapters, loadAdapters, loadAdapterTensors, ADAPTERS_FILE_FORMAT } from './adapters-file';
export type { SaveAdaptersOptions, SavedAdapters, LoadAdaptersOptions, LoadAdapterTensorsOptions } from './adapters-file';
