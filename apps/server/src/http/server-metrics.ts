import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Sizes the metrics report at scrape time. */
export interface MetricSources {
  images: () => number;
  captions: () => number;
  pendingChanges: () => number;
  indexing: () => boolean;
}

/**
 * The Prometheus metrics of one server (its own registry, so several servers in one process, as
 * in tests, do not collide): request counts and latencies by route, encoder time, index sizes,
 * and the process defaults (memory, CPU, event-loop lag).
 */
export class ServerMetrics {
  readonly registry = new Registry();
  readonly requests: Counter<'method' | 'route' | 'status'>;
  readonly duration: Histogram<'method' | 'route'>;
  readonly encoderDuration: Histogram<'modality'>;

  constructor(sources: MetricSources) {
    collectDefaultMetrics({ register: this.registry, prefix: 'harma_' });
    this.requests = new Counter({ name: 'harma_http_requests_total', help: 'HTTP requests by method, route and status code', labelNames: ['method', 'route', 'status'], registers: [this.registry] });
    this.duration = new Histogram({
      name: 'harma_http_request_duration_seconds',
      help: 'HTTP request latency by method and route',
      labelNames: ['method', 'route'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [this.registry],
    });
    this.encoderDuration = new Histogram({
      name: 'harma_encoder_duration_seconds',
      help: 'Time in the model per encoder call, by modality',
      labelNames: ['modality'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [this.registry],
    });
    const gauge = (name: string, help: string, read: () => number): void => {
      new Gauge({
        name,
        help,
        registers: [this.registry],
        collect() {
          this.set(read());
        },
      });
    };
    gauge('harma_index_images', 'Images in the vector index', sources.images);
    gauge('harma_index_captions', 'Captions in the caption gallery', sources.captions);
    gauge('harma_index_pending_changes', 'Index changes not yet in the on-disk search structure (HNSW snapshot, or the Lance vector index)', sources.pendingChanges);
    gauge('harma_indexing_in_progress', '1 while the gallery is being indexed', () => (sources.indexing() ? 1 : 0));
  }

  observeRequest(method: string, route: string, status: number, seconds: number): void {
    this.requests.inc({ method, route, status: String(status) });
    this.duration.observe({ method, route }, seconds);
  }
}
