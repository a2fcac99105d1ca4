//! Building values the way a VM manager writes them: constructors take
//! what the schema requires (a `&str` for a string, a value where the
//! field is boxed), unions are made from their branch, alternates and
//! transaction actions from what they hold.

use qmp_types::{
    BlockdevOptions, BlockdevOptionsBranch, BlockdevOptionsFile, BlockdevOptionsQcow2, BlockdevRef,
    BlockdevSnapshotSync, StrOrNull, TransactionAction, cmd,
};
use serde_json::json;

#[test]
fn a_qcow2_node_over_a_file_node_in_a_few_lines() {
    let mut file = BlockdevOptions::new(BlockdevOptionsBranch::File(BlockdevOptionsFile::new(
        "/tmp/disk.qcow2",
    )));
    file.node_name = Some("file0".into());
    let mut qcow2 = BlockdevOptions::new(BlockdevOptionsQcow2::new(BlockdevRef::from("file0")));
    qcow2.node_name = Some("disk0".into());
    assert_eq!(
        serde_json::to_value(cmd::BlockdevAdd(file)).expect("encodes"),
        json!({"driver": "file", "filename": "/tmp/disk.qcow2", "node-name": "file0"})
    );
    assert_eq!(
        serde_json::to_value(cmd::BlockdevAdd(qcow2)).expect("encodes"),
        json!({"driver": "qcow2", "file": "file0", "node-name": "disk0"})
    );
}

#[test]
fn a_node_defined_inline_is_boxed_inside_the_constructor() {
    let inner = BlockdevOptions::new(BlockdevOptionsBranch::File(BlockdevOptionsFile::new("/d")));
    let qcow2 = BlockdevOptions::new(BlockdevOptionsQcow2::new(BlockdevRef::from(inner)));
    assert_eq!(
        serde_json::to_value(&qcow2).expect("encodes"),
        json!({"driver": "qcow2", "file": {"driver": "file", "filename": "/d"}})
    );
}

#[test]
fn transaction_actions_come_from_what_they_do() {
    let action = TransactionAction::from(BlockdevSnapshotSync::new("/tmp/snap.qcow2"));
    let txn = cmd::Transaction::new(vec![action]);
    assert_eq!(
        serde_json::to_value(&txn).expect("encodes"),
        json!({"actions": [{"type": "blockdev-snapshot-sync", "data": {"snapshot-file": "/tmp/snap.qcow2"}}]})
    );
}

#[test]
fn alternates_with_a_string_branch_take_a_str() {
    assert_eq!(StrOrNull::from("x"), StrOrNull::S("x".to_string()));
}
