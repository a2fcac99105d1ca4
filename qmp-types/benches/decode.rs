//! Typed decoding of real QMP traffic against decoding the same bytes
//! into `serde_json::Value`.
//!
//! The corpus (`corpus.jsonl`) was recorded from QEMU 10.0.2 by
//! `cargo xtask capture-corpus`: the replies of 30 query commands of a
//! `-M pc -S` machine with a block node, and events.
//!
//! `cargo bench -p qmp-types --bench decode`

use criterion::{Criterion, Throughput};
use qmp_types::{Command, EventMessage, Events, cmd};
use serde::Deserialize;
use serde_json::Value;

#[derive(Deserialize)]
struct Reply<T> {
    #[serde(rename = "return")]
    _ret: T,
}

type Decoder = fn(&str) -> Result<(), serde_json::Error>;

fn typed<C: Command>(text: &str) -> Result<(), serde_json::Error> {
    serde_json::from_str::<Reply<C::Returns>>(text).map(|_| ())
}

fn event(text: &str) -> Result<(), serde_json::Error> {
    serde_json::from_str::<EventMessage<Events>>(text).map(|_| ())
}

fn decoder(name: &str) -> Option<Decoder> {
    macro_rules! table {
        ($($wire:literal => $t:ty),* $(,)?) => {
            match name { $($wire => Some(typed::<$t> as Decoder),)* _ => None }
        };
    }
    table! {
        "query-status" => cmd::QueryStatus, "query-version" => cmd::QueryVersion,
        "query-commands" => cmd::QueryCommands, "query-kvm" => cmd::QueryKvm, "query-uuid" => cmd::QueryUuid,
        "query-name" => cmd::QueryName, "query-block" => cmd::QueryBlock,
        "query-named-block-nodes" => cmd::QueryNamedBlockNodes, "query-blockstats" => cmd::QueryBlockstats,
        "query-block-jobs" => cmd::QueryBlockJobs, "query-chardev" => cmd::QueryChardev,
        "query-chardev-backends" => cmd::QueryChardevBackends, "query-cpus-fast" => cmd::QueryCpusFast,
        "query-cpu-definitions" => cmd::QueryCpuDefinitions, "query-machines" => cmd::QueryMachines,
        "query-memdev" => cmd::QueryMemdev, "query-memory-devices" => cmd::QueryMemoryDevices,
        "query-pci" => cmd::QueryPci, "query-migrate" => cmd::QueryMigrate,
        "query-migrate-capabilities" => cmd::QueryMigrateCapabilities,
        "query-migrate-parameters" => cmd::QueryMigrateParameters,
        "query-hotpluggable-cpus" => cmd::QueryHotpluggableCpus, "query-iothreads" => cmd::QueryIothreads,
        "query-target" => cmd::QueryTarget, "query-vnc" => cmd::QueryVnc, "query-mice" => cmd::QueryMice,
        "query-balloon" => cmd::QueryBalloon, "query-tpm-models" => cmd::QueryTpmModels,
        "query-display-options" => cmd::QueryDisplayOptions, "query-acpi-ospm-status" => cmd::QueryAcpiOspmStatus,
        "query-memory-size-summary" => cmd::QueryMemorySizeSummary, "query-rocker" => cmd::QueryRocker,
    }
}

/// The messages as the server sent them, each with its typed decoder.
fn corpus() -> Vec<(String, Decoder)> {
    let text = include_str!("corpus.jsonl");
    text.lines()
        .map(|line| {
            let v: Value = serde_json::from_str(line).expect("corpus line");
            match v.get("command").and_then(Value::as_str) {
                Some(name) => (
                    v["reply"].to_string(),
                    decoder(name).expect("a decoder for every command"),
                ),
                None => (line.to_string(), event as Decoder),
            }
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let corpus = corpus();
    for (text, decode) in &corpus {
        decode(text).unwrap_or_else(|e| panic!("{e}: {text}"));
    }
    let bytes: usize = corpus.iter().map(|(t, _)| t.len()).sum();
    let mut group = c.benchmark_group("decode-qemu-10.0.2-replies-and-events");
    group.throughput(Throughput::Bytes(bytes as u64));
    group.bench_function("typed", |b| {
        b.iter(|| {
            for (text, decode) in &corpus {
                let _ = std::hint::black_box(decode(std::hint::black_box(text)));
            }
        })
    });
    group.bench_function("serde_json::Value", |b| {
        b.iter(|| {
            for (text, _) in &corpus {
                let _ =
                    std::hint::black_box(serde_json::from_str::<Value>(std::hint::black_box(text)));
            }
        })
    });
    group.finish();
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    bench(&mut c);
    c.final_summary();
}
