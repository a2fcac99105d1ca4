//! Every QEMU release here, by its own rules, and 7.2.0 (the QEMU of
//! Debian 12) and 2.4.0 in the legacy dialect: their QMP and guest-agent
//! schemas pass, every old construct is named in a note, and the bindings
//! generated from them compile (in throwaway crates beside the
//! workspace's target directory).

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

fn parse(path: &Path) -> qapi_schema_parser::Schema {
    let schema = qapi_schema_parser::parse_file_with(
        path,
        qapi_schema_parser::Options {
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

/// What `build` runs on the throwaway crate.
#[derive(Clone, Copy, PartialEq)]
enum Run {
    /// `cargo test --tests` (the crate has test files).
    Test,
    /// `cargo check`: every item type-checked, no code generated (for the
    /// crate of every release, whose code generation would take minutes
    /// and find nothing a type check does not).
    Check,
}

/// Generates the bindings of each `(module, schema)` (a module path such
/// as `qmp` or `v1_7_0::qga`) into a throwaway crate, writes the test
/// files given as (name, text), and runs `run` on it.
fn build(
    crate_name: &str,
    modules: &[(String, &qapi_schema_parser::Schema)],
    tests: &[(&str, String)],
    run: Run,
) {
    let crate_dir = xtask::workspace()
        .join("target/legacy-bindings")
        .join(crate_name);
    write_crate(&crate_dir, crate_name, modules, tests, true);
    cargo(&crate_dir, crate_name, run);
}

/// Writes a crate of bindings at `crate_dir` (see [`build`]); `own_workspace`:
/// whether it is a workspace of its own (else a member of one above it).
fn write_crate(
    crate_dir: &Path,
    crate_name: &str,
    modules: &[(String, &qapi_schema_parser::Schema)],
    tests: &[(&str, String)],
    own_workspace: bool,
) {
    let _ = std::fs::remove_dir_all(crate_dir.join("src"));
    let _ = std::fs::remove_dir_all(crate_dir.join("tests"));
    std::fs::create_dir_all(crate_dir.join("src")).expect("crate dir");
    if !tests.is_empty() {
        std::fs::create_dir_all(crate_dir.join("tests")).expect("tests dir");
    }
    for (name, text) in tests {
        std::fs::write(crate_dir.join("tests").join(name), text).expect("test file");
    }
    // lib.rs: one `pub mod` per path component, each leaf including its
    // generated file.
    let mut lib = String::from("//! Bindings of QEMU releases.\n#![deny(warnings)]\n");
    let mut open: Vec<&str> = Vec::new();
    for (module, schema) in modules {
        let files = qapi_bindgen::Config::new()
            .legacy(true)
            .render_schema(schema)
            .unwrap_or_else(|e| panic!("{module}: {e}"));
        let file = format!("{}.rs", module.replace("::", "_"));
        std::fs::write(crate_dir.join("src").join(&file), &files[0].text).expect("write");
        let path: Vec<&str> = module.split("::").collect();
        let (leaf, parents) = path.split_last().expect("a module name");
        let common = open.iter().zip(parents).take_while(|(a, b)| a == b).count();
        for _ in common..open.len() {
            lib.push_str("}\n");
        }
        open.truncate(common);
        for p in &parents[common..] {
            let release = p.trim_start_matches('v').replace('_', ".");
            lib.push_str(&format!("/// QEMU {release}.\npub mod {p} {{\n"));
            open.push(p);
        }
        lib.push_str(&format!(
            "/// The `{leaf}` schema.\npub mod {leaf} {{ include!(\"{file}\"); }}\n"
        ));
    }
    for _ in &open {
        lib.push_str("}\n");
    }
    std::fs::write(crate_dir.join("src/lib.rs"), lib).expect("lib.rs");
    let types = xtask::workspace().join("qmp-types");
    let workspace = if own_workspace { "\n[workspace]\n" } else { "" };
    let manifest = format!(
        "[package]\nname = \"{crate_name}\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n\
         [dependencies]\nqmp-types = {{ path = \"{}\", default-features = false }}\nserde = \"1\"\nserde_json = \"1\"\n{workspace}",
        types.display()
    );
    std::fs::write(crate_dir.join("Cargo.toml"), manifest).expect("Cargo.toml");
}

/// Runs `run` on the crate or workspace at `dir`.
fn cargo(dir: &Path, what: &str, run: Run) {
    let status = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
        // `--tests`: the generated docs hold no doctests worth a rustdoc run.
        .args(match run {
            Run::Test => &["test", "--tests"][..],
            Run::Check => &["check", "--workspace"][..],
        })
        .args(["--quiet", "--offline", "--manifest-path"])
        .arg(dir.join("Cargo.toml"))
        // One target directory for all, so that dependencies build once.
        .env(
            "CARGO_TARGET_DIR",
            xtask::workspace().join("target/legacy-bindings/target"),
        )
        .env_remove("RUSTFLAGS")
        .status()
        .expect("run cargo");
    assert!(
        status.success(),
        "{what}: the bindings do not compile, or their tests fail"
    );
}

/// The QMP and guest-agent schemas of every release in `../shared/qemu`
/// (1.7.0 to 10.2.2), each read by its own release's rules (from its
/// `VERSION` file, no `--legacy`), as (version, QMP, QGA).
fn every_release(
    root: &Path,
) -> Vec<(
    String,
    qapi_schema_parser::Schema,
    qapi_schema_parser::Schema,
)> {
    let mut versions: Vec<(qapi_schema_parser::profile::QemuVersion, PathBuf)> =
        std::fs::read_dir(root)
            .expect("the QEMU releases")
            .filter_map(|e| {
                let dir = e.ok()?.path();
                let v = std::fs::read_to_string(dir.join("VERSION")).ok()?;
                Some((v.trim().parse().ok()?, dir))
            })
            .collect();
    versions.sort();
    versions
        .into_iter()
        .map(|(v, dir)| {
            let qmp = ["qapi/qapi-schema.json", "qapi-schema.json"]
                .iter()
                .map(|f| dir.join(f))
                .find(|f| f.is_file())
                .expect("a QMP schema");
            let read = |path: &Path| {
                let schema =
                    qapi_schema_parser::parse_file(path).unwrap_or_else(|e| panic!("{v}: {e}"));
                let errors: Vec<_> = schema
                    .diagnostics
                    .iter()
                    .filter(|d| d.severity == qapi_schema_parser::Severity::Error)
                    .collect();
                assert!(errors.is_empty(), "{v}: {errors:?}");
                schema
            };
            (
                v.to_string(),
                read(&qmp),
                read(&dir.join("qga/qapi-schema.json")),
            )
        })
        .collect()
}

#[test]
fn every_release_passes_by_its_own_rules_and_its_bindings_compile() {
    let Some(src) = qemu("7.2.0") else { return };
    let releases = every_release(src.parent().expect("the releases"));
    let names: Vec<&str> = releases.iter().map(|(v, ..)| v.as_str()).collect();
    // Every release here, oldest first; a new one is picked up by itself.
    assert!(names.len() >= 15, "{names:?}");
    assert_eq!(names[0], "1.7.0");
    // Two crates of a workspace, so that both cores check at once: the
    // releases up to 8.2 in one, the newer (larger) ones in the other.
    let dir = xtask::workspace().join("target/legacy-bindings/every-release");
    let mut members = Vec::new();
    for (half, newer) in [("older", false), ("newer", true)] {
        let mut modules = Vec::new();
        for (v, qmp, qga) in &releases {
            let version: qapi_schema_parser::profile::QemuVersion = v.parse().expect("a version");
            if (version >= qapi_schema_parser::profile::QemuVersion::new(9, 0)) != newer {
                continue;
            }
            let m = format!("v{}", v.replace('.', "_"));
            modules.push((format!("{m}::qmp"), qmp));
            modules.push((format!("{m}::qga"), qga));
        }
        let name = format!("{half}-releases");
        write_crate(&dir.join(&name), &name, &modules, &[], false);
        members.push(format!("{name:?}"));
    }
    std::fs::write(
        dir.join("Cargo.toml"),
        format!(
            "[workspace]\nresolver = \"3\"\nmembers = [{}]\n",
            members.join(", ")
        ),
    )
    .expect("workspace manifest");
    cargo(&dir, "every release", Run::Check);
}

#[test]
fn qemu_7_2_passes_in_the_legacy_dialect() {
    let Some(src) = qemu("7.2.0") else { return };
    let qmp = parse(&src.join("qapi/qapi-schema.json"));
    let qga = parse(&src.join("qga/qapi-schema.json"));
    let s = qmp.stats();
    assert!(s.commands > 200 && s.events > 40, "{s}");
    let s = qga.stats();
    assert!(s.commands > 40, "{s}");
    // Its bindings compile: in the crate of every release.
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
    let merged = qapi_schema_parser::parse_with_events_spec(
        src.join("qapi-schema.json"),
        &spec,
        qapi_schema_parser::Options {
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
            let inside = |d: &qapi_schema_parser::Diagnostic| {
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
        &[("qmp".into(), &merged), ("qga".into(), &qga)],
        &[
            ("events_spec.rs", EVENTS_SPEC_TEST.to_string()),
            (
                "events-spec-examples.json",
                serde_json::to_string_pretty(&cases).expect("json"),
            ),
        ],
        Run::Test,
    );
}
