// Registers the OpenTelemetry SDK for this process when an OTLP endpoint is configured: a tracer
// provider that batches spans to the OTLP/HTTP exporter, W3C Trace Context propagation and an
// AsyncLocalStorage context manager. The SDK is imported only then, so a process without an
// endpoint loads none of it.
import { randomUUID } from 'node:crypto';
import { WEFT_VERSION } from '../version.ts';
import { useTelemetryApi } from './tracing.ts';

export interface TelemetryConfig {
  /** Where spans go: the full URL of the OTLP/HTTP traces endpoint (…/v1/traces). */
  readonly tracesUrl: string | undefined;
  /** `development`, `production` or `test`: reported as deployment.environment.name. */
  readonly environment: string;
}

export interface Telemetry {
  /** Sends what is buffered now (tests, before a process ends). */
  flush(): Promise<void>;
  /** Flushes and unregisters; the last holder's shutdown stops the SDK. */
  shutdown(): Promise<void>;
}

interface Registered {
  readonly url: string;
  holders: number;
  readonly flush: () => Promise<void>;
  readonly stop: () => Promise<void>;
}

// The API's globals are per process: every set of services in one process shares one SDK.
let registered: Promise<Registered> | null = null;

async function register({
  tracesUrl,
  environment,
  onError,
}: {
  tracesUrl: string;
  environment: string;
  onError: (error: unknown) => void;
}): Promise<Registered> {
  const [api, sdk, exporter, resources, core, hooks, semconv] = await Promise.all([
    import('@opentelemetry/api'),
    import('@opentelemetry/sdk-trace'),
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/core'),
    import('@opentelemetry/context-async-hooks'),
    import('@opentelemetry/semantic-conventions'),
  ]);
  // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES (read by the SDK's env detector) win over ours.
  const resource = resources
    .defaultResource()
    .merge(
      resources.resourceFromAttributes({
        [semconv.ATTR_SERVICE_NAME]: 'weft',
        [semconv.ATTR_SERVICE_VERSION]: WEFT_VERSION,
        [semconv.ATTR_SERVICE_INSTANCE_ID]: randomUUID(),
        // Not yet stable in the semantic conventions package; the name is the spec's.
        'deployment.environment.name': environment,
      }),
    )
    .merge(
      resources.detectResources({
        detectors: [resources.processDetector, resources.hostDetector, resources.envDetector],
      }),
    );
  const provider = new sdk.TracerProvider({
    resource,
    // Headers, timeout and compression come from the standard OTEL_EXPORTER_OTLP_* variables.
    spanProcessors: [
      new sdk.BatchSpanProcessor({
        exporter: new exporter.OTLPTraceExporter({ url: tracesUrl }),
        scheduledDelayMillis: 1000,
      }),
    ],
  });
  core.setGlobalErrorHandler(onError);
  const contextManager = new hooks.AsyncLocalStorageContextManager().enable();
  api.context.setGlobalContextManager(contextManager);
  api.propagation.setGlobalPropagator(
    new core.CompositePropagator({
      propagators: [new core.W3CTraceContextPropagator(), new core.W3CBaggagePropagator()],
    }),
  );
  api.trace.setGlobalTracerProvider(provider);
  useTelemetryApi({ loaded: api, version: WEFT_VERSION });
  return {
    url: tracesUrl,
    holders: 0,
    flush: () => provider.forceFlush(),
    stop: async () => {
      useTelemetryApi({ loaded: null, version: WEFT_VERSION });
      await provider.shutdown();
      api.trace.disable();
      api.propagation.disable();
      api.context.disable();
    },
  };
}

/**
 * Starts exporting spans when `config.tracesUrl` is set; null (and nothing loaded) otherwise.
 * Export failures go to `onError` and never reach a request.
 */
export async function startTelemetry({
  config,
  onError,
}: {
  config: TelemetryConfig;
  onError: (error: unknown) => void;
}): Promise<Telemetry | null> {
  const { tracesUrl } = config;
  if (tracesUrl === undefined) return null;
  registered ??= register({ tracesUrl, environment: config.environment, onError });
  const current = await registered;
  if (current.url !== tracesUrl) {
    throw new Error(
      `OpenTelemetry already exports to ${current.url} in this process; one endpoint per process`,
    );
  }
  current.holders++;
  let stopped = false;
  return {
    flush: () => current.flush(),
    async shutdown() {
      if (stopped) return;
      stopped = true;
      current.holders--;
      if (current.holders > 0) return current.flush();
      registered = null;
      await current.stop();
    },
  };
}

/** True while an SDK is registered: request hooks are installed only then. */
export function telemetryStarted(): boolean {
  return registered !== null;
}
