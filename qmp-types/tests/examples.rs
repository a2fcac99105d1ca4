//! Every example message in QEMU 10.0.2's and 10.2.2's (the pinned
//! release's) schema documentation decodes into its typed form and
//! encodes back to equal JSON (key order aside).
//!
//! Reads the schema from `QAPI_QEMU_SRC` (CI sets it); without it the
//! test says so and passes, except under CI.

use qapi_schema_parser::doc::Direction;
use qmp_types::{EventMessage, Events};
use serde_json::Value;
use std::path::PathBuf;

fn qemu_src() -> Option<PathBuf> {
    match std::env::var_os("QAPI_QEMU_SRC") {
        Some(dir) => {
            let dir = PathBuf::from(dir);
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
            eprintln!("QAPI_QEMU_SRC is not set: skipping the schema example test");
            None
        }
    }
}

/// An example message that QEMU's own documentation gets wrong: the
/// definition, a piece of the message's text, and the mistake. Each was
/// checked against the schema. Nothing else is skipped, and an entry that
/// stops failing fails the test (so the lists cannot go stale).
type Mistake = (&'static str, &'static str, &'static str);

/// The mistakes of both QEMU 10.0.2's and 10.2.2's documentation.
const DOC_MISTAKES: &[Mistake] = &[
    (
        "query-migrate",
        "\"ram\"",
        "MigrationStats member 'dirty-pages-rate' (required) is missing",
    ),
    (
        "migrate",
        "\"0x1000\"",
        "an integer offset is written as the string \"0x1000\"",
    ),
    (
        "query-dirty-rate",
        "\"status\"",
        "the reply is shown without its {\"return\": ...} wrapper",
    ),
    (
        "set-vcpu-dirty-limit",
        "\"set-vcpu-dirty-limit\"}",
        "the required argument 'dirty-rate' is missing",
    ),
    (
        "dumpdtb",
        "\"dumpdtb\" }",
        "the required argument 'filename' is missing",
    ),
    (
        "query-iothreads",
        "\"return\"",
        "IOThreadInfo member 'poll-max-ns' (required) is missing",
    ),
    (
        "query-sev",
        "\"return\"",
        "the union's discriminator 'sev-type' is missing (read as 'sev', as for QEMU before 9.1, and written back with it)",
    ),
    (
        "query-pci",
        "\"return\"",
        "PciDeviceInfo member 'irq_pin' (required) is missing",
    ),
    (
        "x-query-virtio-status",
        "\"virtio-net\"",
        "VirtioStatus member 'disable-legacy-check' (required) is missing",
    ),
];

/// Only 10.0.2's.
const DOC_MISTAKES_10_0: &[Mistake] = &[
    (
        "query-block",
        "\"return\"",
        "BlockDeviceInfo member 'active' (required since 10.0) is missing",
    ),
    (
        "query-named-block-nodes",
        "\"return\"",
        "BlockDeviceInfo member 'active' (required since 10.0) is missing",
    ),
];

/// Only 10.2.2's (the pinned release): its block examples lack `cache`
/// as well.
const DOC_MISTAKES_10_2: &[Mistake] = &[
    (
        "query-block",
        "\"return\"",
        "BlockDeviceInfo members 'cache' and 'active' (required) are missing",
    ),
    (
        "query-named-block-nodes",
        "\"return\"",
        "BlockDeviceInfo members 'cache' and 'active' (required) are missing",
    ),
];

#[derive(Default, Debug)]
struct Counts {
    messages: usize,
    checked: usize,
    elided: usize,
    doc_mistakes: usize,
    greetings: usize,
}

#[test]
fn every_example_in_the_schema_docs_round_trips() {
    let Some(src) = qemu_src() else { return };
    round_trip_examples(&src, &[DOC_MISTAKES, DOC_MISTAKES_10_0].concat());
}

/// The same for QEMU 10.2.2, the release the bindings are generated from
/// (its tree beside the one in `QAPI_QEMU_SRC`).
#[test]
fn every_example_in_the_pinned_schema_docs_round_trips() {
    let Some(src) = qemu_src() else { return };
    round_trip_examples(
        &src.join("../10.2.2"),
        &[DOC_MISTAKES, DOC_MISTAKES_10_2].concat(),
    );
}

/// Checks every example message of the QMP schema in the tree `src`
/// against `mistakes`.
fn round_trip_examples(src: &std::path::Path, mistakes: &[Mistake]) {
    let schema =
        qapi_schema_parser::parse_file(src.join("qapi/qapi-schema.json")).expect("valid schema");
    let mut counts = Counts::default();
    let mut failures = Vec::new();
    let mut used = vec![false; mistakes.len()];
    for (_, e) in schema.definitions() {
        let Some(doc) = &e.doc else { continue };
        for example in doc.examples() {
            let mut last_command: Option<String> = None;
            for msg in &example.messages {
                counts.messages += 1;
                // QEMU's docs elide parts of long messages with "..."
                // (or a comment); those are not JSON and cannot be checked.
                let json: Value = match serde_json::from_str(&msg.json) {
                    Ok(v) => v,
                    Err(_) => {
                        counts.elided += 1;
                        if let Some(start) = msg.json.find("\"execute\"") {
                            last_command = msg.json[start..].split('"').nth(3).map(str::to_string);
                        }
                        continue;
                    }
                };
                let key = format!("{}: {}", e.name, msg.json.lines().next().unwrap_or(""));
                let mistake = mistakes
                    .iter()
                    .position(|(def, piece, _)| *def == e.name && msg.json.contains(piece));
                let result = check(&json, msg.direction, &mut last_command, &mut counts);
                match (result, mistake) {
                    (Err(why), None) => failures.push(format!("{key}\n    {why}")),
                    (Err(_), Some(i)) => {
                        counts.doc_mistakes += 1;
                        used[i] = true;
                    }
                    (Ok(()), Some(i)) => failures.push(format!(
                        "{key}\n    listed as a doc mistake ({}), but decodes",
                        mistakes[i].2
                    )),
                    (Ok(()), None) => {}
                }
            }
        }
    }
    for (i, (def, _, why)) in mistakes.iter().enumerate() {
        if !used[i] {
            failures.push(format!(
                "{def}: listed as a doc mistake ({why}), but no such message was found"
            ));
        }
    }
    eprintln!("{counts:?}");
    assert!(
        counts.checked > 300,
        "only {} messages checked",
        counts.checked
    );
    assert!(
        failures.is_empty(),
        "{} of {} messages failed:\n{}",
        failures.len(),
        counts.messages,
        failures.join("\n")
    );
}

fn check(
    json: &Value,
    dir: Direction,
    last_command: &mut Option<String>,
    counts: &mut Counts,
) -> Result<(), String> {
    let obj = json.as_object().ok_or("not an object")?;
    if let Some(name) = obj
        .get("execute")
        .or_else(|| obj.get("exec-oob"))
        .and_then(Value::as_str)
    {
        if dir != Direction::ToServer {
            return Err("a command sent by the server".into());
        }
        *last_command = Some(name.to_string());
        let info =
            qmp_types::command_by_name(name).ok_or_else(|| format!("unknown command {name}"))?;
        let args = obj
            .get("arguments")
            .cloned()
            .unwrap_or_else(|| Value::Object(Default::default()));
        let back = (info.arguments)(&args).map_err(|e| format!("arguments: {e}"))?;
        same(&args, &back)?;
        counts.checked += 1;
        return Ok(());
    }
    if let Some(ret) = obj.get("return") {
        let name = last_command
            .as_deref()
            .ok_or("a reply without a command before it")?;
        let info =
            qmp_types::command_by_name(name).ok_or_else(|| format!("unknown command {name}"))?;
        let back = (info.returns)(ret).map_err(|e| format!("return of {name}: {e}"))?;
        same(ret, &back)?;
        counts.checked += 1;
        return Ok(());
    }
    if obj.contains_key("event") {
        let msg: EventMessage<Events> =
            serde_json::from_value(json.clone()).map_err(|e| format!("event: {e}"))?;
        if let Events::Unknown { name, .. } = &msg.event {
            return Err(format!("event {name} not known"));
        }
        let back = serde_json::to_value(&msg).map_err(|e| e.to_string())?;
        same(json, &back)?;
        counts.checked += 1;
        return Ok(());
    }
    if let Some(err) = obj.get("error") {
        let class: qmp_types::QapiErrorClass = serde_json::from_value(err["class"].clone())
            .map_err(|e| format!("error class: {e}"))?;
        if let qmp_types::QapiErrorClass::Other(c) = &class {
            return Err(format!("unknown error class {c}"));
        }
        counts.checked += 1;
        return Ok(());
    }
    if obj.contains_key("QMP") {
        counts.greetings += 1;
        return Ok(());
    }
    Err("neither a command, a reply, an event nor an error".into())
}

fn same(a: &Value, b: &Value) -> Result<(), String> {
    if a == b {
        Ok(())
    } else {
        Err(format!("re-encoded differently:\n      {a}\n      {b}"))
    }
}
