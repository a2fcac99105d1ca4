//! QEMU 7.2.0 (the QEMU of Debian 12) and 2.4.0 in the legacy dialect:
//! their QMP and guest-agent schemas pass, every old construct is named in
//! a note, and the bindings generated from them compile (in throwaway
//! crates beside the workspace's target directory).

use std::path::{Path, PathBuf};
use std::process::Command;

fn qemu(version: &str) -> Option<PathBuf> {
    match std::env::var_os("QAPI_QEMU_SRC") {
        Some(d) => {
            let d = PathBuf::from(d);
            let d = if d.is_relative() {
                xtask::workspace().join(d)
            } else {
                d
            };
            Some(d.join("..").join(version))
        }
        None if std::env::var_os("CI").is_some() => panic!("QAPI_QEMU_SRC must be set under CI"),
        None => {
            eprintln!("QAPI_QEMU_SRC is not set: skipping the QEMU {version} test");
            None
        }
    }
}

fn parse(path: &Path) -> qapi_parser::Schema {
    let schema = qapi_parser::parse_file_with(path, qapi_parser::Options { legacy: true })
        .unwrap_or_else(|e| panic!("{e}"));
    // Only notes about old constructs are said.
    for d in &schema.diagnostics {
        assert!(d.message.contains("legacy"), "{}", d.message);
    }
    schema
}

fn build(crate_name: &str, qmp: &qapi_parser::Schema, qga: &qapi_parser::Schema) {
    let crate_dir = xtask::workspace()
        .join("target/legacy-bindings")
        .join(crate_name);
    let _ = std::fs::remove_dir_all(crate_dir.join("src"));
    std::fs::create_dir_all(crate_dir.join("src")).expect("crate dir");
    for (module, schema) in [("qmp", qmp), ("qga", qga)] {
        let files = qapi_codegen::Config::new()
            .legacy(true)
            .render_schema(schema)
            .unwrap_or_else(|e| panic!("{module}: {e}"));
        std::fs::write(crate_dir.join(format!("src/{module}.rs")), &files[0].text).expect("write");
    }
    let types = xtask::workspace().join("qmp-types");
    let manifest = format!(
        "[package]\nname = \"{crate_name}\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n\
         [dependencies]\nqmp-types = {{ path = \"{}\", default-features = false }}\nserde = \"1\"\nserde_json = \"1\"\n\n[workspace]\n",
        types.display()
    );
    std::fs::write(crate_dir.join("Cargo.toml"), manifest).expect("Cargo.toml");
    std::fs::write(
        crate_dir.join("src/lib.rs"),
        "//! Legacy QEMU bindings.\n#![deny(warnings)]\n/// QMP.\npub mod qmp { include!(\"qmp.rs\"); }\n/// The guest agent.\npub mod qga { include!(\"qga.rs\"); }\n",
    )
    .expect("lib.rs");
    let status = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
        .args(["build", "--quiet", "--offline", "--manifest-path"])
        .arg(crate_dir.join("Cargo.toml"))
        // One target directory for both, so that dependencies build once.
        .env(
            "CARGO_TARGET_DIR",
            xtask::workspace().join("target/legacy-bindings/target"),
        )
        .env_remove("RUSTFLAGS")
        .status()
        .expect("run cargo");
    assert!(
        status.success(),
        "{crate_name}: the bindings do not compile"
    );
}

#[test]
fn qemu_7_2_passes_and_its_bindings_compile() {
    let Some(src) = qemu("7.2.0") else { return };
    let qmp = parse(&src.join("qapi/qapi-schema.json"));
    let qga = parse(&src.join("qga/qapi-schema.json"));
    let s = qmp.stats();
    assert!(s.commands > 200 && s.events > 40, "{s}");
    build("qemu-7-2-bindings", &qmp, &qga);
}

#[test]
fn qemu_2_4_passes_and_its_bindings_compile() {
    let Some(src) = qemu("2.4.0") else { return };
    let qmp = parse(&src.join("qapi-schema.json"));
    let qga = parse(&src.join("qga/qapi-schema.json"));
    assert_eq!((qmp.stats().commands, qmp.stats().events), (124, 35));
    for what in [
        "legacy simple union",
        "legacy type '**'",
        "legacy documentation layout",
    ] {
        assert!(
            qmp.diagnostics.iter().any(|d| d.message.starts_with(what)),
            "no note for {what}"
        );
    }
    build("qemu-2-4-bindings", &qmp, &qga);
}
