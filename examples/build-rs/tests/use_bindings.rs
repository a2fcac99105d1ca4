//! The generated bindings work: encode, decode, recursion, alternates,
//! open enums, commands and events.

use qapi_example_build_rs::{geo as geometry, tricky as names};
use qmp_types::{Command, EventMessage};
use serde_json::{Value, json};

fn round_trip<T: serde::Serialize + serde::de::DeserializeOwned>(v: Value) -> T {
    let t: T = serde_json::from_value(v.clone()).expect("decodes");
    assert_eq!(serde_json::to_value(&t).expect("encodes"), v);
    t
}

#[test]
fn commands_know_their_wire_names_and_flags() {
    assert_eq!(geometry::cmd::CountPoints::NAME, "count-points");
    const { assert!(!geometry::cmd::CountPoints::SUCCESS_RESPONSE) };
    const { assert!(geometry::cmd::DrawBoxed::ALLOW_OOB) };
    const { assert!(!geometry::cmd::OrgExampleXFrobnicate::HAS_ARGUMENTS) };
    assert_eq!(
        names::cmd::OrgExampleDoThing::NAME,
        "__org.example_do-thing"
    );
    let c = names::cmd::XType::new(names::Result::Type);
    assert_eq!(
        serde_json::to_value(&c).expect("encodes"),
        json!({"type": "type"})
    );
}

#[test]
fn unions_and_recursion() {
    let tree: names::Tree = round_trip(json!({
        "kind": "node",
        "left": {"kind": "leaf", "value": 1},
        "right": {"kind": "node", "left": {"kind": "empty", "label": {"str": "e"}}}
    }));
    let names::TreeBranch::Node(node) = &tree.kind else {
        panic!("not a node")
    };
    assert!(matches!(node.left.kind, names::TreeBranch::Leaf(ref l) if l.value == 1));
    let b: names::Box = round_trip(json!({"vec": [{"vec": []}], "inner": {"vec": []}}));
    assert_eq!(b.vec.len(), 1);
}

#[test]
fn alternates_by_json_type() {
    assert_eq!(round_trip::<names::Value>(json!(5)), names::Value::Num(5));
    assert_eq!(
        round_trip::<names::Value>(json!(true)),
        names::Value::Flag(true)
    );
    assert_eq!(
        round_trip::<names::Value>(json!(null)),
        names::Value::Nothing
    );
    assert!(matches!(
        round_trip::<names::Value>(json!(["ok", "8bit"])),
        names::Value::List(_)
    ));
    let e = serde_json::from_value::<names::Value>(json!("text")).expect_err("no string branch");
    assert!(
        e.to_string()
            .contains("an integer or a boolean or an object or an array or null"),
        "{e}"
    );
    let e = serde_json::from_value::<names::Value>(json!(1u64 << 63)).expect_err("out of range");
    assert!(e.to_string().contains("in the range of int"), "{e}");
}

#[test]
fn open_enums_and_keyword_members() {
    // A value named like the usual catch-all.
    assert_eq!(
        round_trip::<names::Result>(json!("other")),
        names::Result::Other
    );
    assert_eq!(
        round_trip::<names::Result>(json!("new")),
        names::Result::OtherValue("new".into())
    );
    let o: names::Option = round_trip(
        json!({"type": "t", "match": 1, "gen": true, "async": 1.5, "Crate_Name": "c", "self": "8bit"}),
    );
    assert_eq!(o.r#type, "t");
    assert_eq!(o.self_, Some(names::Result::V8bit));
    assert_eq!(o.crate_name, "c");
}

#[test]
fn events_including_a_catch_all_name_clash() {
    let m: EventMessage<names::Events> = round_trip(
        json!({"event": "SELF", "data": {"match": "ok"}, "timestamp": {"seconds": 1, "microseconds": 0}}),
    );
    assert!(matches!(m.event, names::Events::Self_(ref e) if e.r#match == names::Result::Ok));
    let m: EventMessage<names::Events> =
        round_trip(json!({"event": "UNKNOWN", "timestamp": {"seconds": 1, "microseconds": 0}}));
    assert!(matches!(m.event, names::Events::Unknown(_)));
    let m: EventMessage<names::Events> =
        round_trip(json!({"event": "NEWER", "timestamp": {"seconds": 1, "microseconds": 0}}));
    assert!(matches!(m.event, names::Events::UnknownEvent { .. }));
}

#[test]
#[allow(deprecated)]
fn geometry_commands_and_events() {
    let draw = geometry::cmd::Draw::new(geometry::Shape {
        name: None,
        kind: geometry::ShapeBranch::Circle(geometry::Circle::new(geometry::Point::new(1, 2), 3)),
        unknown_members: Default::default(),
    });
    assert_eq!(
        serde_json::to_value(&draw).expect("encodes"),
        json!({"shape": {"kind": "circle", "center": {"x": 1, "y": 2}, "radius": 3}})
    );
    let r: <geometry::cmd::Draw as Command>::Returns = round_trip(json!({"corners": []}));
    assert!(r.corners.is_empty());
}

#[test]
fn types_named_like_generic_parameters_and_members_like_locals() {
    // `A`, `D`, `M` and `S` are also the names of the generic parameters
    // in the impls; `map`, `key`, `value`, `members`, `branch`, `tag` and
    // `rest` those of the decoders' locals.
    let l: names::Locals = round_trip(json!({
        "map": 1, "key": "k", "value": 2, "members": 3, "branch": "b", "unknown": 4, "new": 5
    }));
    assert_eq!((l.map, l.key.as_str(), l.value), (1, "k", Some(2)));
    assert_eq!(l.unknown_members.get("new"), Some(&json!(5)));
    let t: names::Tagged =
        round_trip(json!({"tag": "leaf", "rest": {"map": 1, "key": "k"}, "value": 7}));
    assert_eq!(t.rest.map, 1);
    assert!(matches!(t.tag, names::TaggedBranch::Leaf(ref l) if l.value == 7));
    let t: names::Tagged =
        round_trip(json!({"tag": "empty", "rest": {"map": 1, "key": "k"}, "x": 1}));
    assert_eq!(t.tag, names::TaggedBranch::Empty);
    assert_eq!(t.unknown_members.get("x"), Some(&json!(1)));
    let e = serde_json::from_value::<names::Tagged>(json!({"tag": "leaf"})).expect_err("no rest");
    assert!(e.to_string().contains("missing field `rest`"), "{e}");
    let s = names::cmd::S::new(names::Locals::new(1, "k"));
    assert_eq!(
        serde_json::to_value(&s).ok(),
        Some(json!({"a": {"map": 1, "key": "k"}}))
    );
    assert_eq!(<names::cmd::S as Command>::NAME, "s");
    assert_eq!(round_trip::<names::cmd::M>(json!({})), names::cmd::M);
    const { assert!(!<names::cmd::M as Command>::HAS_ARGUMENTS) };
    let a: EventMessage<names::Events> = round_trip(json!({
        "event": "A", "data": {"map": 1}, "timestamp": {"seconds": 1, "microseconds": 2}
    }));
    assert!(matches!(a.event, names::Events::A(ref e) if e.map == 1));
    let d: EventMessage<names::Events> = round_trip(json!({
        "event": "D", "data": {"tag": "node", "rest": {"map": 1, "key": "k"}},
        "timestamp": {"seconds": 1, "microseconds": 2}
    }));
    assert!(matches!(d.event, names::Events::D(ref e) if e.0.tag == names::TaggedBranch::Node));
}
