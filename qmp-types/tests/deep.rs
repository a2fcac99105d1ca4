//! Values nested as deeply as QEMU sends or accepts decode, on a 2 MiB
//! thread (a test thread's, a tokio worker's), and anything deeper is an
//! error: never a stack overflow, which would abort the process.

use qmp_types::{BlockdevOptions, Command, cmd, deep};
use serde_json::{Value, json};

/// `blockdev-add` arguments: `levels` `raw` nodes, each over the next,
/// over a `null-co` node.
fn nested_raw(levels: usize) -> String {
    let mut text = String::new();
    for i in 0..levels {
        text.push_str(&format!(r#"{{"driver":"raw","node-name":"n{i}","file":"#));
    }
    text.push_str(r#"{"driver":"null-co","size":1}"#);
    text.push_str(&"}".repeat(levels));
    text
}

/// A `query-named-block-nodes` element over a backing chain of `images`
/// qcow2 images: each image's `backing-image` holds the next.
fn image_chain(images: usize) -> Value {
    let mut image = json!({
        "filename": "base.qcow2", "format": "qcow2", "virtual-size": 1048576,
        "format-specific": {"type": "qcow2", "data": {"compat": "1.1", "refcount-bits": 16, "compression-type": "zlib"}}
    });
    for i in (0..images).rev() {
        image = json!({
            "filename": format!("img{i}.qcow2"), "format": "qcow2", "virtual-size": 1048576,
            "backing-filename": "next.qcow2",
            "format-specific": {"type": "qcow2", "data": {"compat": "1.1", "refcount-bits": 16, "compression-type": "zlib"}},
            "backing-image": image,
        });
    }
    json!([{
        "iops_rd": 0, "detect_zeroes": "off", "image": image, "iops_wr": 0, "ro": false,
        "node-name": "top", "backing_file_depth": images, "drv": "qcow2", "iops": 0,
        "bps_wr": 0, "write_threshold": 0, "encrypted": false, "bps": 0, "bps_rd": 0,
        "cache": {"no-flush": false, "direct": false, "writeback": true},
        "file": "img0.qcow2", "active": true
    }])
}

/// Runs `f` on a thread with a 2 MiB stack, as tokio's workers have.
fn on_small_stack<R: Send + 'static>(f: impl FnOnce() -> R + Send + 'static) -> R {
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(f)
        .expect("thread")
        .join()
        .expect("no panic")
}

#[test]
fn a_hundred_nested_unions_decode_with_plain_serde_json() {
    on_small_stack(|| {
        let text = nested_raw(100);
        let options: BlockdevOptions = serde_json::from_str(&text).expect("decodes");
        let again = serde_json::to_string(&options).expect("encodes");
        assert_eq!(
            serde_json::from_str::<Value>(&again).expect("JSON"),
            serde_json::from_str::<Value>(&text).expect("JSON")
        );
    });
}

#[test]
fn unions_nested_to_qemus_limit_decode_and_deeper_is_an_error() {
    on_small_stack(|| {
        // QEMU's parser takes 1,024 levels; each raw node is one.
        let text = nested_raw(1000);
        let options: BlockdevOptions = deep::from_str(&text).expect("decodes");
        drop(options);
        let err = deep::from_str::<BlockdevOptions>(&nested_raw(1100)).expect_err("too deep");
        assert!(err.to_string().contains("deeper than 1024"), "{err}");
    });
}

#[test]
fn the_registry_decodes_deep_arguments_and_refuses_deeper() {
    on_small_stack(|| {
        let add = qmp_types::command_by_name("blockdev-add").expect("blockdev-add");
        for levels in [50, 300, 1000] {
            let args: Value = deep::from_str(&nested_raw(levels)).expect("JSON");
            let again = (add.arguments)(&args).expect("the registry decodes it");
            assert_eq!(again, args, "{levels} levels");
        }
        let mut args = json!({"driver": "null-co", "size": 1});
        for i in 0..1100 {
            args = json!({"driver": "raw", "node-name": format!("n{i}"), "file": args});
        }
        let err = (add.arguments)(&args).expect_err("too deep");
        assert!(err.to_string().contains("deeper than 1024"), "{err}");
    });
}

#[test]
fn a_reply_over_a_200_image_backing_chain_decodes() {
    let reply = image_chain(200).to_string();
    assert!(deep::depth(&reply) > 200);
    // serde_json alone stops at 128 levels.
    assert!(
        serde_json::from_str::<<cmd::QueryNamedBlockNodes as Command>::Returns>(&reply).is_err()
    );
    let nodes = on_small_stack(move || {
        deep::from_str::<<cmd::QueryNamedBlockNodes as Command>::Returns>(&reply).expect("decodes")
    });
    let mut depth = 0;
    let mut image = Some(&nodes[0].image);
    while let Some(i) = image {
        depth += 1;
        image = i.backing_image.as_deref();
    }
    assert_eq!(depth, 201);
}

#[test]
fn depth_counts_brackets_outside_strings() {
    assert_eq!(deep::depth("1"), 0);
    assert_eq!(deep::depth("[]"), 1);
    assert_eq!(deep::depth(r#"{"a": "[[[\"]]]", "b": [[1]]}"#), 3);
    assert_eq!(deep::depth(&nested_raw(7)), 8);
    assert_eq!(deep::value_depth(&json!({"a": [1, {"b": {}}]})), 4);
}

/// The registry's errors name the member that failed, as the typed path
/// of the clients does (they were a bare serde_json error).
#[test]
fn registry_errors_name_the_failing_member() {
    let add = qmp_types::command_by_name("blockdev-add").expect("blockdev-add");
    let args = json!({"driver": "qcow2", "node-name": "disk",
                      "file": {"driver": "file", "filename": 5}});
    let e = (add.arguments)(&args).expect_err("a number is not a file name");
    // Through unions (decoded from a buffer), the branches name the way.
    assert!(
        e.to_string()
            .contains("in branch 'qcow2': in branch 'file'"),
        "{e}"
    );
    let status = qmp_types::command_by_name("query-status").expect("query-status");
    let e = (status.returns)(&json!({"running": "yes", "status": "running"})).expect_err("bad");
    assert!(e.to_string().starts_with("at `running`: "), "{e}");
}
