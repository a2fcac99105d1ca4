//! Parse + check of QEMU's full QMP schema.
//!
//! `QAPI_QEMU_SRC=../shared/qemu/10.0.2 cargo bench -p qapi-schema-parser`

use criterion::{Criterion, criterion_main};
use std::path::PathBuf;

fn qemu_src() -> Option<PathBuf> {
    let dir = std::env::var_os("QAPI_QEMU_SRC")?;
    // Benches run from the crate directory; resolve relative to the workspace.
    let dir = PathBuf::from(dir);
    Some(if dir.is_relative() {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join(dir)
    } else {
        dir
    })
}

fn bench(c: &mut Criterion) {
    let Some(src) = qemu_src() else {
        eprintln!("QAPI_QEMU_SRC is not set: nothing to benchmark");
        return;
    };
    let root = src.join("qapi/qapi-schema.json");
    let mut group = c.benchmark_group("qmp-10.0.2");
    group.bench_function("parse+check", |b| {
        b.iter(|| qapi_schema_parser::parse_file(&root).expect("the QEMU schema is valid"))
    });
    // What `qapi check` and `build.rs` users get (Options::sequential).
    let sequential = qapi_schema_parser::Options {
        sequential: true,
        ..Default::default()
    };
    group.bench_function("parse+check sequential", |b| {
        b.iter(|| {
            qapi_schema_parser::parse_file_with(&root, sequential)
                .expect("the QEMU schema is valid")
        })
    });
    group.finish();
}

// The macro generates an undocumented function.
#[allow(missing_docs)]
mod group {
    criterion::criterion_group!(benches, super::bench);
}
use group::benches;
criterion_main!(benches);
