//! QEMU 7.2.0 (the QEMU of Debian 12) in the legacy dialect: its QMP and
//! guest-agent schemas pass, and the bindings generated from them compile
//! (in a throwaway crate beside the workspace's target directory).

use std::path::PathBuf;
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

#[test]
fn qemu_7_2_bindings_compile() {
    let Some(src) = qemu("7.2.0") else { return };
    let options = qapi_parser::Options { legacy: true };
    let qmp = qapi_parser::parse_file_with(src.join("qapi/qapi-schema.json"), options)
        .unwrap_or_else(|e| panic!("{e}"));
    let qga = qapi_parser::parse_file_with(src.join("qga/qapi-schema.json"), options)
        .unwrap_or_else(|e| panic!("{e}"));
    let s = qmp.stats();
    assert!(s.commands > 200 && s.events > 40, "{s}");
    // The notes name what is old.
    assert!(qmp.diagnostics.iter().any(|d| d.message.contains("legacy")));

    let crate_dir = xtask::workspace().join("target/legacy-bindings");
    let _ = std::fs::remove_dir_all(crate_dir.join("src"));
    std::fs::create_dir_all(crate_dir.join("src")).expect("crate dir");
    for (name, schema) in [("qmp", &qmp), ("qga", &qga)] {
        let files = qapi_codegen::Config::new()
            .legacy(true)
            .render_schema(schema)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        std::fs::write(crate_dir.join(format!("src/{name}.rs")), &files[0].text).expect("write");
    }
    let types = xtask::workspace().join("qmp-types");
    std::fs::write(
        crate_dir.join("Cargo.toml"),
        format!(
            "[package]\nname = \"qemu-7-2-bindings\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n\
             [dependencies]\nqmp-types = {{ path = \"{}\", default-features = false }}\nserde = \"1\"\nserde_json = \"1\"\n\n[workspace]\n",
            types.display()
        ),
    )
    .expect("Cargo.toml");
    std::fs::write(
        crate_dir.join("src/lib.rs"),
        "//! QEMU 7.2.0's bindings.\n#![deny(warnings)]\n/// QMP.\npub mod qmp { include!(\"qmp.rs\"); }\n/// The guest agent.\npub mod qga { include!(\"qga.rs\"); }\n",
    )
    .expect("lib.rs");
    let status = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
        .args(["build", "--quiet", "--offline", "--manifest-path"])
        .arg(crate_dir.join("Cargo.toml"))
        .env("CARGO_TARGET_DIR", crate_dir.join("target"))
        .env_remove("RUSTFLAGS")
        .status()
        .expect("run cargo");
    assert!(status.success(), "QEMU 7.2.0's bindings do not compile");
}
