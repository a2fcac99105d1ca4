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
    let schema = qapi_parser::parse_file_with(
        path,
        qapi_parser::Options {
            legacy: true,
            ..Default::default()
        },
    )
    .unwrap_or_else(|e| panic!("{e}"));
    // Only notes about old constructs are said.
    for d in &schema.diagnostics {
        assert!(d.message.contains("legacy"), "{}", d.message);
    }
    schema
}

/// Generates the bindings of `qmp` and `qga` into a throwaway crate and
/// runs `cargo build` (or `cargo test`, when `tests` gives test files as
/// (name, text)) on it.
fn build(
    crate_name: &str,
    qmp: &qapi_parser::Schema,
    qga: &qapi_parser::Schema,
    tests: &[(&str, String)],
) {
    let crate_dir = xtask::workspace()
        .join("target/legacy-bindings")
        .join(crate_name);
    let _ = std::fs::remove_dir_all(crate_dir.join("src"));
    let _ = std::fs::remove_dir_all(crate_dir.join("tests"));
    std::fs::create_dir_all(crate_dir.join("src")).expect("crate dir");
    if !tests.is_empty() {
        std::fs::create_dir_all(crate_dir.join("tests")).expect("tests dir");
    }
    for (name, text) in tests {
        std::fs::write(crate_dir.join("tests").join(name), text).expect("test file");
    }
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
        // `--tests`: the generated docs hold no doctests worth a rustdoc run.
        .args(if tests.is_empty() {
            &["build"][..]
        } else {
            &["test", "--tests"][..]
        })
        .args(["--quiet", "--offline", "--manifest-path"])
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
        "{crate_name}: the bindings do not compile, or their tests fail"
    );
}

#[test]
fn qemu_7_2_passes_and_its_bindings_compile() {
    let Some(src) = qemu("7.2.0") else { return };
    let qmp = parse(&src.join("qapi/qapi-schema.json"));
    let qga = parse(&src.join("qga/qapi-schema.json"));
    let s = qmp.stats();
    assert!(s.commands > 200 && s.events > 40, "{s}");
    build("qemu-7-2-bindings", &qmp, &qga, &[]);
}

/// The examples of QEMU 2.4's events spec that do not fit its schema, as
/// the cross-check reports them. Each is a real disagreement between the
/// two files, not something the bindings could decode:
const EXAMPLES_THAT_DISAGREE: [&str; 6] = [
    // The spec describes the data as an ACPIOSTInfo; the schema wraps it
    // in a member 'info'.
    "ACPI_DEVICE_OST",
    // Written before the required member 'fatal' was added (2.2).
    "BLOCK_IMAGE_CORRUPTED",
    // Written before the required member 'reason' was added (2.3).
    "BLOCK_IO_ERROR",
    // Written before VncBasicInfo gained the required 'websocket' (2.3).
    "VNC_CONNECTED",
    "VNC_DISCONNECTED",
    "VNC_INITIALIZED",
];

/// Decodes each example of the events spec into the generated event types
/// (with its timestamp when it has one) and re-encodes it; the examples in
/// `events-spec-examples.json` say whether they are expected to fit.
const EVENTS_SPEC_TEST: &str = r#"
use qemu_2_4_bindings::qmp::Events;
use qmp_types::{EventMessage, EventSet};
use serde::ser::{SerializeMap, Serializer};
use serde_json::Value;

fn roundtrip(message: &Value) -> Result<Value, String> {
    if message.get("timestamp").is_some() {
        let typed: EventMessage<Events> =
            serde_json::from_value(message.clone()).map_err(|e| e.to_string())?;
        return serde_json::to_value(&typed).map_err(|e| e.to_string());
    }
    // QEMU always sends a timestamp; an example without one still decodes
    // as an event.
    let name = message["event"].as_str().ok_or("no event name")?;
    let event = Events::decode(name, message.get("data").cloned()).map_err(|e| e.to_string())?;
    let mut map = serde_json::value::Serializer
        .serialize_map(None)
        .map_err(|e| e.to_string())?;
    map.serialize_entry("event", event.name()).map_err(|e| e.to_string())?;
    event.serialize_data(&mut map).map_err(|e| e.to_string())?;
    map.end().map_err(|e| e.to_string())
}

#[test]
fn events_spec_examples_decode_and_reencode_equal() {
    let cases: Vec<Value> =
        serde_json::from_str(include_str!("events-spec-examples.json")).unwrap();
    assert!(!cases.is_empty());
    let mut decoded = 0;
    for case in &cases {
        let name = case["event"].as_str().unwrap();
        let json = case["json"].as_str().unwrap();
        let fits = case["fits"].as_bool().unwrap();
        let original: Value = serde_json::from_str(json).unwrap();
        match (roundtrip(&original), fits) {
            (Ok(back), true) => {
                assert_eq!(back, original, "{name}: re-encoded differently");
                decoded += 1;
            }
            (Err(e), false) => eprintln!("{name}: does not decode, as expected: {e}"),
            (Ok(_), false) => panic!("{name}: decodes, but the cross-check says it does not fit"),
            (Err(e), true) => panic!("{name}: {e}
{json}"),
        }
    }
    eprintln!("{decoded} of {} events spec examples decode and re-encode equal", cases.len());
}
"#;

#[test]
fn qemu_2_4_passes_and_its_bindings_compile() {
    let Some(src) = qemu("2.4.0") else { return };
    let spec = src.join("docs/qmp/qmp-events.txt");
    let merged = qapi_parser::parse_with_events_spec(
        src.join("qapi-schema.json"),
        &spec,
        qapi_parser::Options {
            legacy: true,
            ..Default::default()
        },
    )
    .unwrap_or_else(|e| panic!("{e}"));
    // The examples, each with whether the cross-check found it to fit.
    let mut cases = Vec::new();
    let mut disagree = Vec::new();
    for (_, e) in merged.definitions() {
        let Some(entry) = &e.events_spec else {
            continue;
        };
        for ex in &entry.examples {
            let json = ex
                .json
                .clone()
                .expect("every example of 2.4 is recoverable");
            let inside = |d: &qapi_parser::Diagnostic| {
                d.span.is_some_and(|s| {
                    s.file == ex.span.file && s.start >= ex.span.start && s.end <= ex.span.end
                })
            };
            let fits = !merged.diagnostics.iter().any(|d| {
                inside(d)
                    && d.message.contains("in the example of")
                    && !d.message.contains("timestamp")
                    && !d.message.starts_with("missing ','")
            });
            if !fits {
                disagree.push(e.name.clone());
            }
            cases.push(serde_json::json!({ "event": e.name, "json": json, "fits": fits }));
        }
    }
    disagree.sort();
    assert_eq!(disagree, EXAMPLES_THAT_DISAGREE);
    assert_eq!(cases.len(), 34);
    let qmp = parse(&src.join("qapi-schema.json"));
    let qga = parse(&src.join("qga/qapi-schema.json"));
    // As many definitions as the files hold; what simple unions imply
    // (tag enums, branch wrappers) is counted apart.
    let s = qmp.stats();
    assert_eq!(
        (
            s.commands,
            s.events,
            s.definitions(),
            s.implied_by_simple_unions
        ),
        (124, 35, 349, 51)
    );
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
    build(
        "qemu-2-4-bindings",
        &merged,
        &qga,
        &[
            ("events_spec.rs", EVENTS_SPEC_TEST.to_string()),
            (
                "events-spec-examples.json",
                serde_json::to_string_pretty(&cases).expect("json"),
            ),
        ],
    );
}
