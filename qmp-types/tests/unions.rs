//! How a union reads its members in whatever order they come: with the
//! discriminator first (as QEMU writes it) the branch is decoded from
//! the rest of the map as it comes, common members after the
//! discriminator still going to their fields; with branch members first
//! they are gathered and decoded once the discriminator is known. Both
//! give the same value, from text (streaming) and from a `Value`.

use qmp_types::{BlockdevOptions, BlockdevOptionsBranch};
use serde_json::{Value, json};

fn from_text(text: &str) -> Result<BlockdevOptions, serde_json::Error> {
    serde_json::from_str(text)
}

fn check(o: &BlockdevOptions) {
    assert_eq!(o.node_name.as_deref(), Some("disk0"));
    assert_eq!(o.read_only, Some(true));
    let BlockdevOptionsBranch::File(f) = &o.driver else {
        panic!("not the file branch: {o:?}")
    };
    assert_eq!(f.filename, "/tmp/disk.img");
    assert_eq!(f.unknown_members["newer"], json!({"x": [1]}));
}

#[test]
fn any_order_gives_the_same_value() {
    let orders = [
        // QEMU's order: the discriminator first, common members around.
        r#"{"driver": "file", "node-name": "disk0", "filename": "/tmp/disk.img", "read-only": true, "newer": {"x": [1]}}"#,
        r#"{"node-name": "disk0", "driver": "file", "newer": {"x": [1]}, "read-only": true, "filename": "/tmp/disk.img"}"#,
        // Branch members before the discriminator: gathered first.
        r#"{"filename": "/tmp/disk.img", "newer": {"x": [1]}, "read-only": true, "node-name": "disk0", "driver": "file"}"#,
        // The same discriminator twice is no news.
        r#"{"driver": "file", "node-name": "disk0", "driver": "file", "filename": "/tmp/disk.img", "read-only": true, "newer": {"x": [1]}}"#,
    ];
    let mut values = Vec::new();
    for text in orders {
        let o = from_text(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        check(&o);
        let v: Value = serde_json::from_str(text).expect("JSON");
        let from_value: BlockdevOptions = serde_json::from_value(v.clone()).expect("decodes");
        assert_eq!(from_value, o);
        // Encoding gives back the same members (in the bindings' order).
        assert_eq!(serde_json::to_value(&o).expect("encodes"), v);
        values.push(o);
    }
    assert!(values.windows(2).all(|w| w[0] == w[1]));
}

#[test]
fn errors_in_a_streamed_branch_name_it_and_the_place() {
    let e = from_text(r#"{"driver": "file", "node-name": "d", "filename": 5}"#)
        .expect_err("a number is not a file name");
    let text = e.to_string();
    assert!(
        text.starts_with("in branch 'file': invalid type: integer `5`"),
        "{text}"
    );
    assert_eq!((e.line(), e.column()), (1, 50), "{text}");
    // A missing branch member, and a missing common member after it.
    let e = from_text(r#"{"driver": "file", "node-name": "d"}"#).expect_err("no filename");
    assert!(e.to_string().contains("missing field `filename`"), "{e}");
    // A common member's error after the discriminator is the union's.
    let e = from_text(r#"{"driver": "file", "filename": "f", "read-only": "yes"}"#)
        .expect_err("not a boolean");
    assert!(
        e.to_string()
            .starts_with("invalid type: string \"yes\", expected a boolean"),
        "{e}"
    );
}

#[test]
fn a_second_discriminator_with_another_value_is_an_error() {
    let e = from_text(r#"{"driver": "file", "filename": "f", "driver": "raw"}"#)
        .expect_err("two drivers");
    assert!(
        e.to_string().contains("the discriminator is given twice"),
        "{e}"
    );
}

#[test]
fn an_unknown_discriminator_keeps_every_member() {
    let text = r#"{"driver": "shiny-new", "node-name": "d", "speed": 9}"#;
    let o = from_text(text).expect("decodes");
    assert_eq!(o.driver, BlockdevOptionsBranch::Other("shiny-new".into()));
    assert_eq!(o.unknown_members["speed"], json!(9));
    let back = serde_json::to_value(&o).expect("encodes");
    assert_eq!(back, serde_json::from_str::<Value>(text).expect("JSON"));
}

/// A branch's error found at the end of the map (a missing member) comes
/// after a missing member of the union's own, as when the branch is
/// decoded from gathered members (`examples/build-rs` tests a union with
/// a required common member; BlockdevOptions has none).
#[test]
fn a_branchs_errors_come_in_the_order_of_the_map() {
    let e = from_text(r#"{"driver": "file"}"#).expect_err("no filename");
    assert!(
        e.to_string()
            .starts_with("in branch 'file': missing field `filename`"),
        "{e}"
    );
    // An error in the middle of the map is reported where it is, before
    // what comes after it is read.
    let e = from_text(r#"{"driver": "file", "filename": 1, "read-only": "yes"}"#)
        .expect_err("two errors");
    assert!(
        e.to_string()
            .starts_with("in branch 'file': invalid type: integer"),
        "{e}"
    );
}
