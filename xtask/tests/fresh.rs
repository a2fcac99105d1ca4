//! The committed bindings are what the pinned QEMU schema generates (the
//! `cargo xtask regen --check` of rust-analyzer's style; the pinned tree
//! is found beside the one in `QAPI_QEMU_SRC`): a change to the generator
//! without `cargo xtask regen` fails here. The same for the release
//! history.

use std::path::PathBuf;

/// The QEMU tree in `QAPI_QEMU_SRC` (relative paths from the workspace
/// root); `None` (the test skips) when it is not set, except under CI.
fn qemu_src(what: &str) -> Option<PathBuf> {
    let Some(d) = std::env::var_os("QAPI_QEMU_SRC").map(PathBuf::from) else {
        assert!(
            std::env::var_os("CI").is_none(),
            "QAPI_QEMU_SRC must be set under CI"
        );
        eprintln!("QAPI_QEMU_SRC is not set: skipping {what}");
        return None;
    };
    Some(if d.is_relative() {
        xtask::workspace().join(d)
    } else {
        d
    })
}

#[test]
fn generated_code_is_fresh() {
    let Some(src) = qemu_src("the freshness check") else {
        return;
    };
    // The pinned release's tree, beside the one given (they sit side by
    // side in ../shared/qemu; QAPI_QEMU_SRC names one of them).
    let pin: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(xtask::workspace().join("schema/qemu.json")).expect("the pin"),
    )
    .expect("the pin is JSON");
    let version = pin["version"].as_str().expect("a pinned version");
    let src = src.join("..").join(version);
    let rendered = xtask::render(&src, false).unwrap_or_else(|e| panic!("{e}"));
    let stale = xtask::stale(&rendered);
    assert!(
        stale.is_empty(),
        "run `cargo xtask regen`:\n{}",
        stale.join("\n")
    );
}

/// The committed release history is what the release trees beside the
/// pinned one give (`cargo xtask history --check`), and it knows when
/// the members that broke decoding on QEMU 7.2 came.
#[test]
fn release_history_is_fresh() {
    let Some(src) = qemu_src("the history check") else {
        return;
    };
    let root = src.join("..");
    let made = xtask::history::build(&root).unwrap_or_else(|e| panic!("{e}"));
    let text = xtask::history::to_text(&made).expect("text");
    let committed = std::fs::read_to_string(xtask::workspace().join("schema/history.json"))
        .expect("schema/history.json");
    assert!(text == committed, "run `cargo xtask history`");
    let qmp = &made.schemas["qmp"];
    // MachineInfo's 'acpi' came in 8.0 (the fifth release here), by
    // where it is on the wire.
    assert_eq!(
        qmp.members["command query-machines"]["returns[].acpi"],
        "----RRRRRRRRR"
    );
    let pin = made
        .releases
        .iter()
        .position(|r| r == "10.0.2")
        .expect("10.0.2");
    let pinned = qapi_schema_parser::parse_file(src.join("qapi/qapi-schema.json"))
        .unwrap_or_else(|e| panic!("{e}"));
    let wire = qapi_schema_parser::wire::WireSchema::from_schema(&pinned);
    let optional = xtask::history::optional_since_floor(qmp, pin, &wire);
    let has = |ty: &str, m: &str| optional.contains(&(ty.to_string(), m.to_string()));
    for (ty, m) in [
        // A branch QEMU 8.2 gave a union that 7.2 sent as a plain object.
        ("BlockJobInfoMirror", "actively-synced"),
        ("MachineInfo", "acpi"),
        ("q_obj_BLOCK_IO_ERROR-arg", "qom-path"),
        ("BlockDeviceStats", "zone_append_bytes"),
        ("DirtyRateInfo", "calc-time-unit"),
    ] {
        assert!(
            has(ty, m),
            "{ty}.{m} must be optional for servers from 6.2 on"
        );
    }
    for (ty, m, why) in [
        // A branch (7.1's) of a union only sent to the server: an older
        // server takes no such branch at all.
        (
            "BlockdevOptionsVirtioBlkVhostVdpa",
            "path",
            "an argument branch's members stay required",
        ),
        // A branch 8.0 added to a union older servers sent with other
        // branches: they never send this one.
        (
            "ImageInfoSpecificFileWrapper",
            "data",
            "a branch newer than its union stays required",
        ),
        // SocketAddress's 'fd' branch was the type String until 9.0 and
        // is FdSocketAddress since: the same 'str' on the wire.
        ("FdSocketAddress", "str", "a renamed type keeps its history"),
    ] {
        assert!(!has(ty, m), "{ty}.{m}: {why}");
    }
}

/// A tree that is not the one the history was made from (a schema file
/// changed) is refused, naming the history, before anything is generated.
#[test]
fn a_history_from_another_tree_is_refused() {
    let Some(src) = qemu_src("the history check") else {
        return;
    };
    let copy = std::env::temp_dir().join(format!("xtask-history-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&copy);
    copy_tree(&src.join("../10.2.2"), &copy);
    let changed = copy.join("qapi/common.json");
    let text = std::fs::read_to_string(&changed).expect("read") + "\n# changed\n";
    std::fs::write(&changed, text).expect("write");
    let e = xtask::render(&copy, false).expect_err("refused");
    let _ = std::fs::remove_dir_all(&copy);
    assert!(
        e.contains("schema/history.json was not made from this QEMU 10.2.2 tree"),
        "{e}"
    );
}

/// Copies the schema files of the QEMU tree `from` (`qapi/`, `qga/`,
/// `VERSION`) to `to`.
fn copy_tree(from: &std::path::Path, to: &std::path::Path) {
    for dir in ["qapi", "qga"] {
        std::fs::create_dir_all(to.join(dir)).expect("dir");
        for e in std::fs::read_dir(from.join(dir))
            .expect("read_dir")
            .flatten()
        {
            std::fs::copy(e.path(), to.join(dir).join(e.file_name())).expect("copy");
        }
    }
    std::fs::copy(from.join("VERSION"), to.join("VERSION")).expect("VERSION");
}

/// The older trees regen reads for the commands and events QEMU removed
/// must be there, beside the pinned one, and be the trees the history
/// was made from.
#[test]
fn the_trees_of_removed_commands_must_be_there_and_match_the_history() {
    let Some(src) = qemu_src("the removed commands' trees") else {
        return;
    };
    let releases = src.join("..");
    let root = std::env::temp_dir().join(format!("xtask-removed-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).expect("root");
    copy_tree(&releases.join("10.2.2"), &root.join("10.2.2"));
    // No 8.0.0 (x-query-profile's last release) beside the pin.
    let missing = xtask::render(&root.join("10.2.2"), false).err();
    // 8.0.0 as it is, 9.0.0 changed.
    std::os::unix::fs::symlink(
        releases.join("8.0.0").canonicalize().expect("8.0.0"),
        root.join("8.0.0"),
    )
    .expect("symlink");
    copy_tree(&releases.join("9.0.0"), &root.join("9.0.0"));
    let changed = root.join("9.0.0/qapi/rdma.json");
    let text = std::fs::read_to_string(&changed).expect("read") + "\n# changed\n";
    std::fs::write(&changed, text).expect("write");
    let changed = xtask::render(&root.join("10.2.2"), false).err();
    let _ = std::fs::remove_dir_all(&root);
    let missing = missing.expect("refused without 8.0.0");
    assert!(
        missing.starts_with("QEMU 8.0.0's tree is not at ")
            && missing.ends_with("since: x-query-profile)"),
        "{missing}"
    );
    let changed = changed.expect("refused with a changed 9.0.0");
    assert!(
        changed.starts_with("schema/history.json was not made from the QEMU 9.0.0 tree at "),
        "{changed}"
    );
}
