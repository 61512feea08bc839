//! The process's tracing: log lines (compact, or JSON with
//! `TENANTRY_LOG_FORMAT=json`) and, when `OTEL_EXPORTER_OTLP_ENDPOINT` (or
//! `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is set, the same spans exported as
//! OpenTelemetry traces over OTLP/HTTP (protobuf) — off by default. The
//! exporter reads the standard `OTEL_*` variables itself (endpoint, headers,
//! batch delay).

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::{Protocol, SpanExporter, WithExportConfig};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

/// What must be flushed before the process exits.
pub struct Telemetry(Option<SdkTracerProvider>);

pub fn otlp_configured() -> bool {
    [
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    ]
    .iter()
    .any(|name| std::env::var_os(name).is_some_and(|v| !v.is_empty()))
}

/// Installs the global subscriber.
pub fn init(json: bool) -> Telemetry {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn"));
    let provider = otlp_configured().then(exporter).flatten();
    // The exporter's own HTTP calls are not traced (no loop).
    let traces = provider.as_ref().map(|p| {
        tracing_opentelemetry::layer()
            .with_tracer(p.tracer("tenantry"))
            .with_filter(tracing_subscriber::filter::filter_fn(|meta| {
                !["hyper", "h2", "reqwest", "opentelemetry"]
                    .iter()
                    .any(|noisy| meta.target().starts_with(noisy))
            }))
    });
    let registry = tracing_subscriber::registry().with(filter).with(traces);
    let lines = tracing_subscriber::fmt::layer().with_target(false);
    if json {
        registry.with(lines.json()).init();
    } else {
        registry.with(lines.compact()).init();
    }
    if provider.is_some() {
        tracing::info!("exporting traces over OTLP/HTTP");
    }
    Telemetry(provider)
}

fn exporter() -> Option<SdkTracerProvider> {
    match SpanExporter::builder()
        .with_http()
        .with_protocol(Protocol::HttpBinary)
        .build()
    {
        Ok(exporter) => Some(
            SdkTracerProvider::builder()
                .with_resource(
                    Resource::builder()
                        .with_service_name("tenantry")
                        .with_attribute(opentelemetry::KeyValue::new(
                            "service.version",
                            env!("CARGO_PKG_VERSION"),
                        ))
                        .build(),
                )
                .with_batch_exporter(exporter)
                .build(),
        ),
        Err(err) => {
            eprintln!("tenantry: OTLP trace export is off: {err}");
            None
        }
    }
}

impl Telemetry {
    /// Sends the spans still batched (blocking: off the runtime's threads).
    pub async fn shutdown(self) {
        if let Some(provider) = self.0 {
            let _ = tokio::task::spawn_blocking(move || provider.shutdown()).await;
        }
    }
}
