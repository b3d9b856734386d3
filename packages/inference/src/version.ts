/** Version of @harma/inference recorded in exported models and config.json (kept in step with package.json). */
export const INFERENCE_VERSION = '0.1.0';
