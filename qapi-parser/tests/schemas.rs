//! The project's own schema suite: `tests/schemas/bad/*.json` must each be
//! rejected, and the rendered diagnostics (message, exact location, include
//! chain, excerpt) are snapshots; `tests/schemas/good/*.json` must be
//! accepted, and a summary of the IR is a snapshot (as are the project's
//! own schemas in `schema/tests/`).

use qapi_schema_parser::{EntityKind, Options, Schema};
use std::fmt::Write;
use std::path::{Path, PathBuf};

fn schemas(dir: &str) -> Vec<PathBuf> {
    let dir = Path::new(dir);
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("schema directory")
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
}

fn snapshot_name(path: &Path) -> String {
    path.file_stem()
        .expect("file name")
        .to_string_lossy()
        .into_owned()
}

/// The bad schemas that break a rule holding only for some releases: the
/// rule, a release that rejects the schema and one that accepts it.
const VERSION_DEPENDENT: &[(&str, &str, &str)] = &[
    ("doc-line-too-long", "10.2", "10.1"),
    ("doc-one-space-after-sentence", "10.2", "10.1"),
    ("doc-heading-not-first", "10.0", "10.1"),
    ("doc-example-section", "9.1", "9.0"),
    ("doc-note-section", "9.1", "9.0"),
    ("doc-symbol-no-colon", "9.1", "9.0"),
    ("if-array", "6.2", "6.1"),
    ("if-c-preprocessor", "6.2", "6.1"),
    ("name-command-underscore", "6.0", "5.2"),
    ("name-member-underscore", "6.0", "5.2"),
    ("name-member-uppercase", "6.0", "5.2"),
    ("pragma-old-name", "6.0", "5.2"),
    ("command-returns-int", "2.9", "2.8"),
    ("command-returns-array-of-str", "2.9", "2.8"),
    ("expr-old-type-keyword", "2.4", "2.3"),
    ("expr-nested-struct", "2.4", "1.7"),
    ("command-gen-no", "2.4", "1.7"),
    ("union-anonymous", "2.4", "1.7"),
    ("type-visitor", "2.4", "1.7"),
    ("syntax-missing-comma", "1.6", "1.5"),
    ("syntax-trailing-comma", "1.6", "1.5"),
    ("syntax-array-trailing-comma", "1.6", "1.5"),
];

/// Each version-dependent bad schema, checked by the rules of a release
/// that rejects it and of one that accepts it: both outcomes are
/// snapshots (the errors; the notes naming what was accepted).
#[test]
fn version_dependent_rules_hold_for_their_releases_only() {
    for (name, rejects, accepts) in VERSION_DEPENDENT {
        let path = PathBuf::from(format!("tests/schemas/bad/{name}.json"));
        let as_version = |v: &str| qapi_schema_parser::Options {
            qemu_version: Some(v.parse().expect("a version")),
            ..Default::default()
        };
        let errors = match qapi_schema_parser::parse_file_with(&path, as_version(rejects)) {
            Ok(_) => panic!("{name} should be rejected by QEMU {rejects}'s rules"),
            Err(e) => e,
        };
        insta::assert_snapshot!(format!("profile-{name}-as-{rejects}"), errors.to_string());
        let schema = match qapi_schema_parser::parse_file_with(&path, as_version(accepts)) {
            Ok(s) => s,
            Err(e) => panic!("{name} should be accepted by QEMU {accepts}'s rules:\n{e}"),
        };
        let notes: String = schema
            .diagnostics
            .iter()
            .map(|d| d.render(&schema.sources))
            .collect();
        insta::assert_snapshot!(format!("profile-{name}-as-{accepts}"), notes);
    }
}

#[test]
fn bad_schemas_are_rejected_with_exact_diagnostics() {
    let files = schemas("tests/schemas/bad");
    assert!(files.len() > 150, "the bad schema suite is missing files");
    for path in files {
        // A schema that only some releases reject is checked by theirs
        // (above).
        if VERSION_DEPENDENT
            .iter()
            .any(|(name, ..)| path.file_stem().is_some_and(|s| s == *name))
        {
            continue;
        }
        let errors = match qapi_schema_parser::parse_file(&path) {
            Ok(_) => panic!("{} should be rejected", path.display()),
            Err(e) => e,
        };
        assert!(
            errors.error_count() > 0,
            "{}: no error reported",
            path.display()
        );
        for d in &errors.diagnostics {
            // Every diagnostic but a missing root file has a location
            // (and the note naming the rules applied).
            assert!(
                d.span.is_some() || d.severity == qapi_schema_parser::Severity::Note,
                "{}: unlocated diagnostic {}",
                path.display(),
                d.message
            );
        }
        insta::assert_snapshot!(format!("bad-{}", snapshot_name(&path)), errors.to_string());
    }
}

#[test]
fn good_schemas_are_accepted() {
    // The project's own schemas in schema/tests are good schemas too.
    let good = schemas("tests/schemas/good")
        .into_iter()
        .chain(schemas("../schema/tests"));
    for path in good {
        let schema = match qapi_schema_parser::parse_file(&path) {
            Ok(s) => s,
            Err(e) => panic!("{} should be accepted:\n{e}", path.display()),
        };
        insta::assert_snapshot!(format!("good-{}", snapshot_name(&path)), summary(&schema));
    }
}

/// One line per entity (built-ins left out), then one per member/value/
/// branch, with conditions, features and the first words of docs.
fn summary(s: &Schema) -> String {
    let mut out = String::new();
    for m in &s.modules {
        let _ = writeln!(out, "module {}", m.name);
    }
    for (_, e) in s
        .iter()
        .filter(|(_, e)| e.origin != qapi_schema_parser::Origin::Builtin)
    {
        let _ = write!(out, "{} {}", e.kind.meta(), e.name);
        if !e.is_explicit() {
            let _ = write!(out, " ({:?})", e.origin);
        }
        if let Some(c) = &e.cond {
            let _ = write!(out, " if {c}");
        }
        for f in &e.features {
            let _ = write!(out, " +{}", f.name);
            if let Some(c) = &f.cond {
                let _ = write!(out, "[if {c}]");
            }
        }
        if let Some(m) = e.module {
            let _ = write!(out, " in {}", s.modules[m.0 as usize].name);
        }
        if let Some(d) = &e.doc {
            if let Some(since) = d.since() {
                let _ = write!(out, " since {since}");
            }
            let n = d.examples().len();
            if n > 0 {
                let _ = write!(out, " examples={n}");
            }
        }
        out.push('\n');
        let members = |out: &mut String, ms: &[qapi_schema_parser::Member]| {
            for m in ms {
                let _ = write!(
                    out,
                    "    {}{}: {}",
                    if m.optional { "*" } else { "" },
                    m.name,
                    m.ty.name
                );
                if let Some(c) = &m.cond {
                    let _ = write!(out, " if {c}");
                }
                for f in &m.features {
                    let _ = write!(out, " +{}", f.name);
                }
                if let Some(d) = &m.doc {
                    let _ = write!(out, " -- {}", d.replace('\n', " / "));
                }
                out.push('\n');
            }
        };
        match &e.kind {
            EntityKind::Struct(st) => {
                if let Some(b) = &st.base {
                    let _ = writeln!(out, "    base {}", b.name);
                }
                members(&mut out, &st.members);
            }
            EntityKind::Enum(en) => {
                for v in &en.values {
                    let _ = write!(out, "    '{}'", v.name);
                    if let Some(c) = &v.cond {
                        let _ = write!(out, " if {c}");
                    }
                    if let Some(d) = &v.doc {
                        let _ = write!(out, " -- {d}");
                    }
                    out.push('\n');
                }
            }
            EntityKind::Union(u) => {
                let _ = writeln!(
                    out,
                    "    base {} discriminator {}: {}",
                    u.base.name, u.discriminator, u.discriminator_type.name
                );
                for b in &u.branches {
                    let _ = write!(
                        out,
                        "    branch {}: {}{}",
                        b.name,
                        b.ty.name,
                        if b.explicit { "" } else { " (implicit)" }
                    );
                    if let Some(c) = &b.cond {
                        let _ = write!(out, " if {c}");
                    }
                    out.push('\n');
                }
            }
            EntityKind::Alternate(a) => {
                for b in &a.branches {
                    let _ = write!(out, "    branch {}: {}", b.name, b.ty.name);
                    if let Some(c) = &b.cond {
                        let _ = write!(out, " if {c}");
                    }
                    out.push('\n');
                }
            }
            EntityKind::Array(a) => {
                let _ = writeln!(out, "    of {}", a.element.name);
            }
            EntityKind::Command(c) => {
                let _ = writeln!(
                    out,
                    "    args {:?} boxed={} returns {:?} gen={} success-response={} oob={} preconfig={} coroutine={}",
                    c.arguments.as_ref().map(|t| &t.name),
                    c.boxed,
                    c.returns.as_ref().map(|t| &t.name),
                    c.generate,
                    c.success_response,
                    c.allow_oob,
                    c.allow_preconfig,
                    c.coroutine
                );
            }
            EntityKind::Event(ev) => {
                let _ = writeln!(
                    out,
                    "    data {:?} boxed={}",
                    ev.data.as_ref().map(|t| &t.name),
                    ev.boxed
                );
            }
            EntityKind::Builtin { .. } => {}
        }
    }
    for f in &s.free_docs {
        let _ = writeln!(
            out,
            "free doc in {} before {:?}: {}",
            s.modules[f.module.0 as usize].name,
            f.before.map(|id| &s.entity(id).name),
            f.doc
                .sections
                .first()
                .map_or("", |x| x.text.lines().next().unwrap_or(""))
        );
    }
    out
}

#[test]
fn examples_keep_their_messages() {
    let schema = qapi_schema_parser::parse_file("../schema/tests/geometry.json").expect("valid");
    let draw = schema.lookup("draw").expect("draw");
    let ex = draw.doc.as_ref().expect("documented").examples();
    assert_eq!(ex.len(), 1);
    assert_eq!(ex[0].messages.len(), 2);
    let request: serde_json::Value =
        serde_json::from_str(&ex[0].messages[0].json).expect("the request is JSON");
    assert_eq!(request["arguments"]["shape"]["radius"], 3);
    let reply: serde_json::Value =
        serde_json::from_str(&ex[0].messages[1].json).expect("the reply is JSON");
    assert_eq!(reply, serde_json::json!({ "return": { "corners": [] } }));
}

#[test]
fn missing_root_file_is_an_error_not_a_panic() {
    let e = qapi_schema_parser::parse_file("tests/schemas/no-such-file.json").expect_err("missing");
    assert_eq!(e.headlines().len(), 1);
    assert!(
        e.headlines()[0]
            .starts_with("error: cannot read schema file 'tests/schemas/no-such-file.json'")
    );
    let e = qapi_schema_parser::parse_file("tests/schemas").expect_err("a directory");
    assert!(e.headlines()[0].contains("it is a directory"));
}

#[test]
fn hostile_inputs_are_errors() {
    let huge = "[".repeat(100_000);
    for text in [
        huge.as_str(),
        "{",
        "'",
        "#",
        "##",
        "{ 'a': [ { 'b': [ ",
        "\u{0}\u{1}",
        "}}}}",
        "{ 'include': '.' }",
    ] {
        let r = qapi_schema_parser::parse_str("mem.json", text, Options::default());
        if text != "#" {
            assert!(r.is_err(), "{text:?} should be rejected");
        }
    }
    // An in-memory 20 MiB text is refused with a message, not parsed.
    let big = " ".repeat(20 << 20);
    let e =
        qapi_schema_parser::parse_str("big.json", &big, Options::default()).expect_err("too big");
    assert!(e.to_string().contains("the limit is 16 MiB"));
}

/// A deterministic mutation fuzzer run in every test run: thousands of
/// corrupted variants of a real schema must each give a result (valid or
/// diagnostics), never a panic. The cargo-fuzz target in `fuzz/` does the
/// same, coverage-guided, for longer runs.
#[test]
fn mutated_schemas_never_panic() {
    let seed_text = std::fs::read("../schema/tests/geometry.json").expect("schema");
    let tokens: &[&[u8]] = &[
        b"{", b"}", b"[", b"]", b",", b":", b"'", b"##", b"#", b"\n", b"\\", b"'if'", b"'data'",
        b"'type'", b"\xff", b"\t",
    ];
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for _ in 0..3000 {
        let mut text = seed_text.clone();
        for _ in 0..(1 + next() % 4) {
            let at = (next() as usize) % (text.len() + 1);
            match next() % 3 {
                0 if at < text.len() => {
                    let len = ((next() % 8) as usize).min(text.len() - at);
                    text.drain(at..at + len);
                }
                1 if at < text.len() => text[at] = (next() % 256) as u8,
                _ => {
                    let t = tokens[(next() as usize) % tokens.len()];
                    text.splice(at..at, t.iter().copied());
                }
            }
        }
        let text = String::from_utf8_lossy(&text);
        if let Err(e) =
            qapi_schema_parser::parse_str("../schema/tests/mutated.json", &text, Options::default())
        {
            // Rendering must not panic either.
            let _ = e.to_string();
        }
    }
}

#[test]
fn a_100_mb_file_is_refused_without_reading_it() {
    let dir = std::env::temp_dir().join(format!("qapi-parser-big-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("huge.json");
    // Sparse: instant to create, and the parser must not read it anyway.
    std::fs::File::create(&path)
        .expect("create")
        .set_len(100 << 20)
        .expect("set_len");
    let result = qapi_schema_parser::parse_file(&path);
    let _ = std::fs::remove_dir_all(&dir);
    let e = result.expect_err("too big");
    assert!(
        e.headlines()[0].contains("it is 100 MiB; schema files are limited to 16 MiB"),
        "{e}"
    );
}

/// Each schema of `tests/schemas/legacy/`, with the last release that
/// accepts it and the first that does not.
const LEGACY_BY_RELEASE: &[(&str, &str, &str)] = &[
    ("command-underscore", "5.2", "6.0"),
    ("doc-note-example", "9.0", "9.1"),
    ("doc-old-style", "9.0", "9.1"),
    ("if-c-preprocessor", "6.1", "6.2"),
    ("if-list", "6.1", "6.2"),
    ("member-names", "5.2", "6.0"),
    ("missing-commas", "1.5", "1.6"),
    ("pragma-old-names", "5.2", "6.0"),
    ("returns-non-object", "2.8", "2.9"),
    ("simple-union", "6.1", "6.2"),
    ("star-star", "2.4", "2.5"),
    ("string-discriminator", "2.0", "2.1"),
    ("type-keyword", "2.3", "2.4"),
];

/// Each old construct under the rules of the last release that has it
/// (it passes, with its notes) and of the first that does not (its
/// errors): both are snapshots.
#[test]
fn legacy_constructs_hold_for_their_releases_only() {
    let files = schemas("tests/schemas/legacy");
    assert_eq!(
        files.len(),
        LEGACY_BY_RELEASE.len(),
        "a legacy schema without its releases"
    );
    for (name, accepts, rejects) in LEGACY_BY_RELEASE {
        let path = PathBuf::from(format!("tests/schemas/legacy/{name}.json"));
        let as_version = |v: &str| Options {
            qemu_version: Some(v.parse().expect("a version")),
            ..Default::default()
        };
        let schema = qapi_schema_parser::parse_file_with(&path, as_version(accepts))
            .unwrap_or_else(|e| {
                panic!("{name} should be accepted by QEMU {accepts}'s rules:\n{e}")
            });
        let notes: String = schema
            .diagnostics
            .iter()
            .map(|d| d.render(&schema.sources))
            .collect();
        insta::assert_snapshot!(
            format!("legacy-{name}-as-{accepts}"),
            format!("{notes}\n{}", summary(&schema))
        );
        let errors = qapi_schema_parser::parse_file_with(&path, as_version(rejects))
            .err()
            .unwrap_or_else(|| panic!("{name} should be rejected by QEMU {rejects}'s rules"));
        insta::assert_snapshot!(format!("legacy-{name}-as-{rejects}"), errors.to_string());
    }
}

/// `tests/schemas/legacy/`: one schema per construct of older QEMU
/// releases. Each passes in legacy mode, with a note naming what is old,
/// and is refused in strict mode with an error that suggests `--legacy`.
#[test]
fn legacy_constructs() {
    let files = schemas("tests/schemas/legacy");
    assert!(files.len() >= 10);
    for path in files {
        let strict = qapi_schema_parser::parse_file(&path).expect_err("strict mode refuses it");
        let text = strict.to_string();
        assert!(
            text.contains("--legacy"),
            "{}: the strict error does not suggest --legacy:\n{text}",
            path.display()
        );
        let legacy = qapi_schema_parser::parse_file_with(
            &path,
            Options {
                legacy: true,
                ..Default::default()
            },
        )
        .unwrap_or_else(|e| panic!("{} should pass in legacy mode:\n{e}", path.display()));
        let notes: Vec<String> = legacy
            .diagnostics
            .iter()
            .map(|d| d.headline(&legacy.sources))
            .collect();
        assert!(
            notes.iter().any(|n| n.contains("legacy")),
            "{}: no note names the legacy construct",
            path.display()
        );
        insta::assert_snapshot!(
            format!("legacy-{}", snapshot_name(&path)),
            format!("{}\n{}", notes.join("\n"), summary(&legacy))
        );
    }
}
