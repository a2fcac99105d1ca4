//! QEMU's own schemas, read from the source tree in `QAPI_QEMU_SRC`
//! (CI sets it to ../shared/qemu/10.0.2). Without it these tests say so
//! and pass, except under CI, where a missing tree is a failure.

use qapi_schema_parser::{EntityKind, Stats};
use std::path::PathBuf;

fn qemu_src() -> Option<PathBuf> {
    match std::env::var_os("QAPI_QEMU_SRC") {
        Some(dir) => {
            let dir = PathBuf::from(dir);
            // Tests run in the crate directory; a relative path is meant
            // relative to the workspace root, where the user typed it.
            Some(if dir.is_relative() {
                PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                    .join("..")
                    .join(dir)
            } else {
                dir
            })
        }
        None if std::env::var_os("CI").is_some() => panic!("QAPI_QEMU_SRC must be set under CI"),
        None => {
            eprintln!("QAPI_QEMU_SRC is not set: skipping the QEMU schema tests");
            None
        }
    }
}

fn stats(rel: &str) -> Option<Stats> {
    let path = qemu_src()?.join(rel);
    match qapi_schema_parser::parse_file(&path) {
        Ok(s) => Some(s.stats()),
        Err(e) => panic!("{} should be valid:\n{e}", path.display()),
    }
}

fn counts(s: &Stats) -> [usize; 7] {
    [
        s.commands,
        s.events,
        s.structs,
        s.unions,
        s.alternates,
        s.enums,
        s.definitions(),
    ]
}

#[test]
fn qmp_schema_matches_qemu_counts() {
    let Some(s) = stats("qapi/qapi-schema.json") else {
        return;
    };
    assert_eq!(counts(&s), [240, 56, 468, 43, 6, 181, 994]);
    // 174 inline argument types and 38 inline union bases, 103 array types.
    assert_eq!((s.implicit_objects, s.implicit_arrays), (212, 103));
}

#[test]
fn guest_agent_schema_matches_qemu_counts() {
    let Some(s) = stats("qga/qapi-schema.json") else {
        return;
    };
    assert_eq!(counts(&s), [44, 0, 34, 3, 2, 8, 91]);
}

#[test]
fn storage_daemon_schema_matches_qemu_counts() {
    let Some(s) = stats("storage-daemon/qapi/qapi-schema.json") else {
        return;
    };
    assert_eq!(counts(&s), [76, 13, 254, 25, 5, 79, 452]);
}

#[test]
fn qmp_ir_is_resolved_and_documented() {
    let Some(src) = qemu_src() else { return };
    let schema = qapi_schema_parser::parse_file(src.join("qapi/qapi-schema.json")).expect("valid");
    // Modules are the schema files, named relative to the root.
    assert!(schema.modules.iter().any(|m| m.name == "block-core"));
    let status = schema.lookup("query-status").expect("query-status");
    let EntityKind::Command(c) = &status.kind else {
        panic!("not a command")
    };
    assert_eq!(
        c.returns.as_ref().map(|r| r.name.as_str()),
        Some("StatusInfo")
    );
    assert!(c.allow_preconfig);
    assert_eq!(
        schema.module_name(schema.id_of("query-status").expect("id")),
        Some("run-state")
    );
    // Every definition of the QMP schema is documented (doc-required).
    assert!(schema.pragma.doc_required);
    assert!(schema.definitions().all(|(_, e)| e.doc.is_some()));
    // Unions have one branch per discriminator value, in enum order.
    let Some(EntityKind::Union(u)) = schema.lookup("BlockdevOptions").map(|e| &e.kind) else {
        panic!()
    };
    let Some(EntityKind::Enum(drivers)) =
        schema.lookup(&u.discriminator_type.name).map(|e| &e.kind)
    else {
        panic!()
    };
    assert_eq!(u.branches.len(), drivers.values.len());
    assert!(
        u.branches
            .iter()
            .zip(&drivers.values)
            .all(|(b, v)| b.name == v.name)
    );
    // Examples carry their QMP messages.
    let messages: usize = schema
        .definitions()
        .filter_map(|(_, e)| e.doc.as_ref())
        .flat_map(|d| d.examples())
        .map(|ex| ex.messages.len())
        .sum();
    assert!(messages > 500, "only {messages} example messages found");
    // Deprecated things are marked.
    let deprecated = schema
        .definitions()
        .filter(|(_, e)| e.feature("deprecated").is_some())
        .count();
    assert!(deprecated > 0);
    // The dump is deterministic.
    let again = qapi_schema_parser::parse_file(src.join("qapi/qapi-schema.json")).expect("valid");
    assert_eq!(
        serde_json::to_string(&schema).expect("serialise"),
        serde_json::to_string(&again).expect("serialise")
    );
}

/// QEMU 2.4's schema with its events spec: the spec's own mistakes are
/// reported and repaired, and the cross-check lists every disagreement
/// (the snapshot is the list, reviewed by hand: members added to the
/// schema after the spec was written, `ACPI_DEVICE_OST`'s data described
/// as the wrong thing, an event the spec never got).
#[test]
fn qemu_2_4_events_spec_cross_check() {
    let Some(src) = qemu_src() else { return };
    let root = src
        .join("../2.4.0")
        .canonicalize()
        .expect("QEMU 2.4.0 tree");
    let schema = qapi_schema_parser::parse_with_events_spec(
        root.join("qapi-schema.json"),
        root.join("docs/qmp/qmp-events.txt"),
        qapi_schema_parser::Options {
            legacy: true,
            ..Default::default()
        },
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let prefix = format!("{}/", root.display());
    let found: Vec<String> = schema
        .diagnostics
        .iter()
        .filter(|d| d.severity == qapi_schema_parser::Severity::Warning)
        .map(|d| d.headline(&schema.sources).replace(&prefix, ""))
        .collect();
    // The four known mistakes of the file, each located.
    for mistake in [
        "docs/qmp/qmp-events.txt:179:50: warning: missing ',' in the example of 'BLOCK_JOB_READY'",
        "docs/qmp/qmp-events.txt:246:30: warning: missing ',' in the example of 'MEM_UNPLUG_ERROR'",
        "docs/qmp/qmp-events.txt:267:1: warning: stray '}' in the entry of 'NIC_RX_FILTER_CHANGED'",
        "docs/qmp/qmp-events.txt:483:5: warning: 'Data: None.' but the entry of 'MIGRATION' goes on to list member 'status'",
    ] {
        assert!(found.iter().any(|f| f == mistake), "missing: {mistake}");
    }
    insta::assert_snapshot!(found.join("\n"));
    // Every entry is attached to its event, and every example recovered.
    let mut entries = 0;
    let mut examples = 0;
    for (_, e) in schema.definitions() {
        if let Some(spec) = &e.events_spec {
            entries += 1;
            for ex in &spec.examples {
                let json = ex.json.as_deref().expect("every example is recoverable");
                serde_json::from_str::<serde_json::Value>(json)
                    .expect("repaired examples are JSON");
                examples += 1;
            }
        }
    }
    assert_eq!((entries, examples), (34, 34));
    let migration = schema
        .lookup("MIGRATION")
        .unwrap()
        .events_spec
        .as_ref()
        .unwrap();
    assert_eq!(migration.members[0].name, "status");
    let vnc = schema
        .lookup("VNC_CONNECTED")
        .unwrap()
        .events_spec
        .as_ref()
        .unwrap();
    assert_eq!(vnc.members[0].members.len(), 4);
}

/// The tree of another release beside the one in `QAPI_QEMU_SRC` (they
/// sit side by side in ../shared/qemu).
fn release(version: &str) -> Option<PathBuf> {
    let dir = qemu_src()?.join("..").join(version);
    assert!(dir.is_dir(), "{} is missing", dir.display());
    Some(dir)
}

/// The newer releases write rST headings (10.1 on), which 10.0's rules
/// reject: read by their own rules (from their VERSION files), their
/// schemas pass with QEMU's own counts.
#[test]
fn newer_releases_pass_by_their_own_rules_with_qemus_counts() {
    let cases: [(&str, &str, [usize; 6]); 6] = [
        (
            "10.2.2",
            "qapi/qapi-schema.json",
            [244, 57, 479, 43, 6, 182],
        ),
        (
            "10.2.2",
            "storage-daemon/qapi/qapi-schema.json",
            [77, 13, 260, 25, 5, 79],
        ),
        ("10.2.2", "qga/qapi-schema.json", [44, 0, 34, 3, 2, 8]),
        (
            "10.1.0",
            "qapi/qapi-schema.json",
            [241, 56, 476, 43, 6, 181],
        ),
        (
            "10.1.0",
            "storage-daemon/qapi/qapi-schema.json",
            [77, 13, 259, 25, 5, 79],
        ),
        ("10.1.0", "qga/qapi-schema.json", [44, 0, 34, 3, 2, 8]),
    ];
    for (version, rel, want) in cases {
        let Some(dir) = release(version) else { return };
        let path = dir.join(rel);
        let schema = qapi_schema_parser::parse_file(&path)
            .unwrap_or_else(|e| panic!("{} should be valid:\n{e}", path.display()));
        let got = counts(&schema.stats());
        assert_eq!(got[..6], want, "{version} {rel}");
        // And 10.0's rules reject it (its headings).
        if rel != "qga/qapi-schema.json" {
            let as_10_0 = qapi_schema_parser::Options {
                qemu_version: Some("10.0.2".parse().expect("a version")),
                ..Default::default()
            };
            let errors =
                qapi_schema_parser::parse_file_with(&path, as_10_0).expect_err("10.0 rejects it");
            assert!(errors.to_string().contains("heading"), "{errors}");
        }
    }
}

/// Every release from 2.4 on passes by its own rules (from its VERSION
/// file), QMP and guest agent, without --legacy.
#[test]
fn every_release_from_2_4_passes_by_its_own_rules() {
    let releases = [
        "2.4.0", "6.2.0", "7.0.0", "7.1.0", "7.2.0", "8.0.0", "8.1.0", "8.2.0", "9.0.0", "9.1.0",
        "9.2.4", "10.0.2", "10.1.0", "10.2.2",
    ];
    for version in releases {
        let Some(dir) = release(version) else { return };
        for rel in [
            "qapi/qapi-schema.json",
            "qapi-schema.json",
            "qga/qapi-schema.json",
        ] {
            let path = dir.join(rel);
            // The QMP schema moved into qapi/ in 2.5.
            if !path.is_file() {
                continue;
            }
            if let Err(e) = qapi_schema_parser::parse_file(&path) {
                panic!(
                    "{} should pass by QEMU {version}'s rules:\n{e}",
                    path.display()
                );
            }
        }
    }
}

/// QEMU 1.7's guest agent and QMP schemas pass by 1.7's rules, each of
/// their 1.x constructs read and named in a note with the releases that
/// had it ('success-response': 'no', nested anonymous structs, 'gen':
/// 'no', the 'visitor' type, an anonymous union, a flat union over a
/// 'str' discriminator); as 2.1 the 'str' discriminator is the one error.
#[test]
fn qemu_1_7_by_its_own_rules() {
    let Some(dir) = release("1.7.0") else { return };
    let qga = dir.join("qga/qapi-schema.json");
    if let Err(e) = qapi_schema_parser::parse_file(&qga) {
        panic!("{} should pass by QEMU 1.7's rules:\n{e}", qga.display());
    }
    let qmp = dir.join("qapi-schema.json");
    let schema = qapi_schema_parser::parse_file(&qmp).unwrap_or_else(|e| panic!("{e}"));
    for construct in [
        "legacy nested anonymous struct",
        "legacy 'gen': 'no'",
        "legacy type 'visitor'",
        "legacy anonymous union",
        "legacy 'str' discriminator 'driver'",
    ] {
        let note = schema
            .diagnostics
            .iter()
            .find(|d| d.message.starts_with(construct))
            .unwrap_or_else(|| panic!("no note for {construct}"));
        assert!(note.span.is_some(), "{construct}: unlocated");
        assert!(
            note.notes
                .iter()
                .any(|n| n.starts_with("QEMU ") && n.contains(" had it: ")),
            "{construct}: the note does not name the releases: {:?}",
            note.notes
        );
    }
    // The implied enum of the branch names selects BlockdevOptions' branch.
    let (_, union) = schema
        .iter()
        .find(|(_, e)| e.name == "BlockdevOptions")
        .expect("BlockdevOptions");
    let qapi_schema_parser::EntityKind::Union(u) = &union.kind else {
        panic!("BlockdevOptions is a union")
    };
    assert_eq!(u.discriminator_type.name, "BlockdevOptionsKind");
    assert!(u.branches.iter().any(|b| b.name == "qcow2"));
    let as_2_1 = qapi_schema_parser::Options {
        qemu_version: Some("2.1".parse().expect("a version")),
        ..Default::default()
    };
    let errors = qapi_schema_parser::parse_file_with(&qmp, as_2_1)
        .expect_err("2.1 had no 'str' discriminator");
    assert_eq!(errors.error_count(), 1, "{errors}");
    assert!(
        errors
            .to_string()
            .contains("discriminator 'driver' must be of an enum type")
    );
}

/// Strict mode accepts exactly what the release accepted: QEMU 10.0.2's
/// QMP schema passes as 10.0 and fails as 10.2 (lines over 70 columns,
/// one space between sentences), while 10.2.2's passes as 10.2.
#[test]
fn a_schema_passes_by_its_release_and_fails_by_a_stricter_one() {
    let Some(src) = qemu_src() else { return };
    let path = src.join("qapi/qapi-schema.json");
    let as_version = |v: &str| qapi_schema_parser::Options {
        qemu_version: Some(v.parse().expect("a version")),
        ..Default::default()
    };
    assert!(qapi_schema_parser::parse_file_with(&path, as_version("10.0.2")).is_ok());
    let errors = qapi_schema_parser::parse_file_with(&path, as_version("10.2"))
        .expect_err("10.2 is stricter");
    let text = errors.to_string();
    assert!(text.contains("more than 70"), "{text}");
    assert!(text.contains("QEMU 10.2.0's rules"), "{text}");
}

/// Parsing the included files on worker threads or one after the other
/// gives the same schema (file ids, order, spans, docs: its JSON dump).
#[test]
fn sequential_and_parallel_loading_agree() {
    let Some(src) = qemu_src() else { return };
    let path = src.join("qapi/qapi-schema.json");
    let dump = |sequential| {
        let schema = qapi_schema_parser::parse_file_with(
            &path,
            qapi_schema_parser::Options {
                sequential,
                ..Default::default()
            },
        )
        .unwrap_or_else(|e| panic!("{e}"));
        serde_json::to_string(&schema).expect("the schema serialises")
    };
    let parallel = dump(false);
    assert!(parallel.len() > 1_000_000);
    assert!(parallel == dump(true), "the two loaders disagree");
}
