//! What the generated documentation promises a reader: search by the wire
//! names QEMU's own documentation uses, and a command page that starts
//! with its arguments and return type.

use std::path::Path;

fn generated(file: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("src/generated")
        .join(file);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The item declared right after the first `#[doc(alias = "wire")]`.
fn aliased_item(text: &str, wire: &str) -> String {
    let attr = format!("#[doc(alias = \"{wire}\")]");
    let at = text
        .find(&attr)
        .unwrap_or_else(|| panic!("no search alias for {wire}"));
    text[at + attr.len()..]
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("pub "))
        .unwrap_or_default()
        .to_string()
}

#[test]
fn rustdoc_search_finds_commands_events_and_members_by_wire_name() {
    let block = generated("qmp/block_core.rs");
    assert_eq!(
        aliased_item(&block, "blockdev-add"),
        "pub struct BlockdevAdd(pub super::super::BlockdevOptions);"
    );
    assert_eq!(
        aliased_item(&block, "BLOCK_JOB_READY"),
        "pub struct BlockJobReady {"
    );
    assert_eq!(
        aliased_item(&block, "node-name"),
        "pub node_name: ::std::string::String,"
    );
    let machine = generated("qmp/machine.rs");
    assert_eq!(
        aliased_item(&machine, "query-cpus-fast"),
        "pub struct QueryCpusFast;"
    );
    // An enum value: `running` is `RunState::Running`.
    let run_state = generated("qmp/run_state.rs");
    let at = run_state
        .find("#[doc(alias = \"running\")]")
        .expect("an alias for the value running");
    assert!(
        run_state[at..]
            .lines()
            .nth(1)
            .is_some_and(|l| l.trim() == "Running,")
    );
    // The guest agent's too.
    let qga = generated("qga/qapi_schema.rs");
    assert_eq!(
        aliased_item(&qga, "guest-sync-delimited"),
        "pub struct GuestSyncDelimited {"
    );
}

#[test]
fn a_command_page_starts_with_its_arguments_and_return_type() {
    let block = generated("qmp/block_core.rs");
    assert!(block.contains(
        "/// `query-block`: no arguments; returns a [`Vec`] of [`BlockInfo`](super::super::BlockInfo).\n"
    ));
    assert!(block.contains("/// `blockdev-add`: the arguments of [`BlockdevOptions`](super::super::BlockdevOptions); returns nothing.\n"));
}
