// The pack check as a library (the CLI and the test use it).
export { runPackCheck, formatReport, MINIMAL_SET } from './pack-check';
export type { PackCheckOptions, PackCheckReport, PackedPackage, ExampleRun } from './pack-check';
export { checkManifest, checkInternalRanges, exportTargets, requireableSubpaths, moduleFormat } from './manifest-check';
export type { ExportTarget } from './manifest-check';
export { findImports, undeclaredImports, packageOf, declaredRuntimePackages } from './dependency-scan';
export type { FoundImport } from './dependency-scan';
export { extractReadmeExample, toCommonJs, EXAMPLE_MARKER } from './readme-example';
export { checkRelease, checkChangesetFiles, checkChangesetConfig } from './changeset-check';
export type { ChangesetReport, PlannedRelease } from './changeset-check';
export { createScratchProject, removeInBackground } from './scratch-project';
export type { ScratchProject, ScratchProjectOptions, NativeAddon } from './scratch-project';
export { readWorkspace, findRepositoryRoot } from './workspace';
export type { WorkspacePackage, PackageManifest } from './workspace';
