//! `qapi diff` as a person runs it: on release trees, on a saved
//! `query-qmp-schema` reply of a live QEMU 7.2 against the 7.2.0 tree
//! (which must differ only in what the build left out), with `--json`,
//! and its exit codes.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The directory of release trees (beside `QAPI_QEMU_SRC`).
fn releases() -> Option<PathBuf> {
    match std::env::var_os("QAPI_QEMU_SRC") {
        Some(dir) => Some(
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("..")
                .join(dir)
                .join(".."),
        ),
        None if std::env::var_os("CI").is_some() => panic!("QAPI_QEMU_SRC must be set under CI"),
        None => {
            eprintln!("QAPI_QEMU_SRC is not set: skipping");
            None
        }
    }
}

fn qapi_diff(args: &[&Path]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_qapi"))
        .arg("diff")
        .args(args)
        .output()
        .expect("run qapi")
}

#[test]
fn a_live_qemu_7_2_differs_from_its_tree_only_in_what_its_build_left_out() {
    let Some(root) = releases() else { return };
    let Some(server) = test_support::Qemu::V7_2.system("none") else {
        return;
    };
    let saved = server.dir.join("schema.json");
    std::fs::write(&saved, test_support::introspect(&server.sock)).expect("save the reply");
    let out = qapi_diff(&[&root.join("7.2.0"), &saved]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let changes: Vec<&str> = text.lines().filter(|l| l.starts_with("  ")).collect();
    assert!(
        !changes.is_empty(),
        "an x86 build leaves out other targets' commands"
    );
    for c in &changes {
        assert!(c.ends_with("(only under a build condition)"), "{c}");
    }
    // The other way round, too: what the tree has is what the build has.
    let back = qapi_diff(&[&saved, &root.join("7.2.0")]);
    assert_eq!(back.status.code(), Some(0));
}

#[test]
fn breaking_changes_set_the_exit_code_and_json_lists_every_change() {
    let Some(root) = releases() else { return };
    let (old, new) = (root.join("10.0.2"), root.join("10.2.2"));
    assert_eq!(
        qapi_diff(&[&old, &new]).status.code(),
        Some(1),
        "10.1 removed members"
    );
    assert_eq!(qapi_diff(&[&new, &new]).status.code(), Some(0));
    let out = Command::new(env!("CARGO_BIN_EXE_qapi"))
        .args(["diff", "--json"])
        .arg(&old)
        .arg(&new)
        .output()
        .expect("run qapi");
    let changes: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let changes = changes.as_array().expect("an array");
    assert!(
        changes
            .iter()
            .any(|c| c["item"] == "command blockdev-mirror"
                && c["path"] == "arguments.target-is-zero"
                && c["kind"] == "added"
                && c["breaking"] == false)
    );
    // An input that is neither a tree, a schema nor a reply.
    let missing = root.join("no-such-release");
    assert_eq!(qapi_diff(&[&missing, &new]).status.code(), Some(2));
}
