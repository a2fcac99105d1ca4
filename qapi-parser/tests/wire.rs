//! `wire::diff` between QEMU releases (../shared/qemu, found beside the
//! tree in `QAPI_QEMU_SRC`), snapshot-tested: what changed from QEMU 7.2
//! (Debian 12) and from 10.0 (Debian 13) to 10.2, per command and event.

use qapi_schema_parser::wire::{ChangeKind, WireSchema, diff};
use std::path::PathBuf;

/// The directory of release trees, beside `QAPI_QEMU_SRC`.
fn releases() -> Option<PathBuf> {
    let src = match std::env::var_os("QAPI_QEMU_SRC") {
        Some(dir) => PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join(dir),
        None if std::env::var_os("CI").is_some() => panic!("QAPI_QEMU_SRC must be set under CI"),
        None => {
            eprintln!("QAPI_QEMU_SRC is not set: skipping the release diffs");
            return None;
        }
    };
    Some(src.join(".."))
}

fn wire(root: &std::path::Path, release: &str) -> WireSchema {
    let path = root.join(release).join("qapi/qapi-schema.json");
    let schema = qapi_schema_parser::parse_file(&path).unwrap_or_else(|e| panic!("{release}: {e}"));
    WireSchema::from_schema(&schema)
}

#[test]
fn from_10_0_to_10_2() {
    let Some(root) = releases() else { return };
    let d = diff(&wire(&root, "10.0.2"), &wire(&root, "10.2.2"));
    // Known facts of 10.1 and 10.2: chardev's deprecated 'reconnect' is
    // gone, blockdev-mirror gained 'target-is-zero'.
    assert!(d.changes.iter().any(|c| c.item == "command blockdev-mirror"
        && c.path == "arguments.target-is-zero"
        && c.kind == ChangeKind::Added
        && !c.breaking));
    assert!(d.changes.iter().any(|c| c.item == "command chardev-add"
        && c.path == "arguments.backend[type=socket].data.reconnect"
        && c.kind == ChangeKind::Removed
        && c.breaking));
    assert!(d.breaking());
    insta::assert_snapshot!(d.to_string());
}

#[test]
fn from_7_2_to_10_2() {
    let Some(root) = releases() else { return };
    let d = diff(&wire(&root, "7.2.0"), &wire(&root, "10.2.2"));
    // 10.0's blockdev-set-active is new; migrate's 'blk' (removed in 9.1)
    // is gone; MachineInfo's 'acpi' (8.0) is a new member of a reply.
    let has = |item: &str, path: &str, kind: ChangeKind| {
        d.changes
            .iter()
            .any(|c| c.item == item && c.path == path && c.kind == kind)
    };
    assert!(has("command blockdev-set-active", "", ChangeKind::Added));
    assert!(has("command migrate", "arguments.blk", ChangeKind::Removed));
    assert!(has(
        "command query-machines",
        "returns[].acpi",
        ChangeKind::Added
    ));
    insta::assert_snapshot!(d.to_string());
}

/// A schema compared with itself: nothing.
#[test]
fn a_schema_has_no_changes_from_itself() {
    let Some(root) = releases() else { return };
    let w = wire(&root, "10.2.2");
    assert!(diff(&w, &w).changes.is_empty());
}

/// The model written as introspection and read back is the same model.
#[test]
fn the_introspection_form_reads_back_the_same() {
    let Some(root) = releases() else { return };
    let w = wire(&root, "10.2.2");
    let text = w.to_introspection();
    let back = WireSchema::from_introspection(&text).expect("reads back");
    assert!(diff(&w, &back).changes.is_empty());
    assert!(diff(&back, &w).changes.is_empty());
    assert_eq!(back.commands.len(), w.commands.len());
}

/// What is not a `query-qmp-schema` reply is refused, saying what is wrong.
#[test]
fn a_reply_that_is_not_introspection_is_an_error() {
    use serde_json::json;
    let err = |v: serde_json::Value| WireSchema::from_introspection(&v).expect_err("refused");
    assert_eq!(
        err(json!({"QMP": {}})),
        "not a query-qmp-schema reply: expected an array of entities"
    );
    assert!(
        err(json!([{"meta-type": "command"}])).starts_with("an entity without a string 'name'")
    );
    assert_eq!(
        err(json!([{"name": "q", "meta-type": "command", "arg-type": "0", "ret-type": "0"}])),
        "no entity named '0'"
    );
    assert_eq!(
        err(json!([
            {"name": "q", "meta-type": "command", "arg-type": "e", "ret-type": "e"},
            {"name": "e", "meta-type": "event", "arg-type": "e"}])),
        "'e' is a event, not a type"
    );
}

/// Every member and value by where it is on the wire, in the path syntax
/// of `diff`: a union's branch adds `[tag=value]`, an array `[]`, an
/// alternate's object branch is at the alternate's own place; each comes
/// with its direction and the type that has it.
#[test]
fn members_and_values_by_place() {
    use qapi_schema_parser::wire::{Flow, Visit};
    let schema = qapi_schema_parser::parse_str(
        "places.json",
        r#"
{ 'enum': 'Kind', 'data': [ 'plain', 'fancy' ] }
{ 'struct': 'Fancy', 'data': { 'level': 'int' } }
{ 'union': 'Info', 'base': { 'name': 'str', 'kind': 'Kind' },
  'discriminator': 'kind', 'data': { 'fancy': 'Fancy' } }
{ 'alternate': 'InfoOrName', 'data': { 'info': 'Info', 'name': 'str' } }
{ 'command': 'query-info', 'data': { 'which': 'InfoOrName' }, 'returns': [ 'Info' ] }
{ 'event': 'INFO', 'data': { 'kind': 'Kind' } }
"#,
        Default::default(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let wire = WireSchema::from_schema(&schema);
    let mut seen = Vec::new();
    wire.visit(&mut |v| match v {
        Visit::Item { item } => seen.push(item.to_string()),
        Visit::Member {
            at,
            flow,
            owner,
            member,
        } => {
            assert!(at.path.ends_with(&member.name));
            let dir = if flow == Flow::ToServer { "->" } else { "<-" };
            seen.push(format!(
                "{} {} {dir} {}",
                at.item,
                at.path,
                wire.name(owner).unwrap_or("?")
            ));
        }
        Visit::Value { at, value, .. } => {
            seen.push(format!("{} {}={}", at.item, at.path, value.name))
        }
    });
    assert_eq!(
        seen,
        [
            "command query-info",
            "command query-info arguments.which -> q_obj_query-info-arg",
            "command query-info arguments.which.name -> Info",
            "command query-info arguments.which.kind -> Info",
            "command query-info arguments.which.kind=plain",
            "command query-info arguments.which.kind=fancy",
            "command query-info arguments.which[kind=fancy].level -> Fancy",
            "command query-info returns[].name <- Info",
            "command query-info returns[].kind <- Info",
            "command query-info returns[].kind=plain",
            "command query-info returns[].kind=fancy",
            "command query-info returns[][kind=fancy].level <- Fancy",
            "event INFO",
            "event INFO data.kind <- q_obj_INFO-arg",
            "event INFO data.kind=plain",
            "event INFO data.kind=fancy",
        ]
    );
}
