//! The cost of probing a server: decoding and indexing QEMU 10.0.2's
//! `query-qmp-schema` reply, and the index's answers.
//!
//! The reply is recorded at the start of the run from a
//! `qemu-system-x86_64 -M none` the benchmark starts (QEMU's schema is
//! not committed here); the live figure, a whole `Client::schema()` on a
//! fresh connection (request, reply, decode, index), is printed first,
//! as CPU time of this process, the median of 20.
//!
//! `cargo bench -p qmp-client --bench probe`

use criterion::Criterion;
use qmp_client::{Client, ServerSchema};
use qmp_types::{SchemaInfo, cmd};
use std::hint::black_box;
use std::time::Duration;

/// The process's CPU time (user and system).
fn cpu() -> Duration {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ProcessCPUTime);
    Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
}

/// The raw `return` of `query-qmp-schema`.
fn record(sock: &std::path::Path) -> String {
    let v: serde_json::Value = serde_json::from_str(&test_support::introspect(sock)).expect("JSON");
    v["return"].to_string()
}

fn main() {
    let Some(server) = test_support::start("qemu-system-x86_64", |sock| {
        test_support::system("none", &format!("unix:{sock}"))
    }) else {
        return;
    };
    let raw = record(&server.sock);
    let entities: Vec<SchemaInfo> = serde_json::from_str(&raw).expect("decodes");
    println!(
        "QEMU 10.0.2 -M none: {} entities, {} KiB",
        entities.len(),
        raw.len() / 1024
    );

    // The live figure: connect (not counted), then schema() timed.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let mut live: Vec<Duration> = (0..20)
        .map(|_| {
            rt.block_on(async {
                let client = Client::connect_unix(&server.sock).await.expect("connect");
                let start = cpu();
                let schema = client.schema().await.expect("schema");
                let took = cpu() - start;
                black_box(schema);
                took
            })
        })
        .collect();
    live.sort();
    println!(
        "Client::schema() live, client CPU: median {:?} (min {:?}, max {:?})",
        live[10], live[0], live[19]
    );

    let mut c = Criterion::default().configure_from_args();
    c.bench_function("decode and index query-qmp-schema (10.0.2)", |b| {
        b.iter(|| {
            let entities: Vec<SchemaInfo> = serde_json::from_str(black_box(&raw)).expect("decodes");
            ServerSchema::new(entities, None)
        })
    });
    let schema = ServerSchema::new(entities, None);
    c.bench_function("argument blockdev-add file.filename", |b| {
        b.iter(|| {
            schema
                .argument(black_box("blockdev-add"), black_box("file.filename"))
                .is_some()
        })
    });
    c.bench_function(
        "argument migrate-set-capabilities capabilities.capability accepts dirty-limit",
        |b| {
            b.iter(|| {
                schema
                    .argument(
                        black_box("migrate-set-capabilities"),
                        black_box("capabilities.capability"),
                    )
                    .is_some_and(|m| m.accepts("dirty-limit"))
            })
        },
    );
    let status = cmd::QueryNamedBlockNodes {
        flat: Some(true),
        ..Default::default()
    };
    c.bench_function("check query-named-block-nodes", |b| {
        b.iter(|| schema.check(black_box(&status)).is_empty())
    });
    c.final_summary();
}
