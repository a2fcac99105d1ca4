//! `cargo xtask fuzz-seeds`: the starting inputs of the fuzz targets in
//! `fuzz/`, from the replies and events recorded from a real QEMU
//! (`qmp-types/benches/corpus.jsonl`, see `capture-corpus`) and from
//! argument values of the richest commands, written to
//! `fuzz/seeds/<target>/`. Deterministic: the same corpus gives the same
//! files, which are committed.

use serde_json::{Value, json};
use std::path::Path;

/// One seed: its file name and its bytes.
type Seed = (String, Vec<u8>);

/// Writes every target's seeds under `fuzz/seeds` of `workspace`;
/// returns how many files.
pub fn write(workspace: &Path) -> Result<usize, String> {
    let corpus_path = workspace.join("qmp-types/benches/corpus.jsonl");
    let corpus = std::fs::read_to_string(&corpus_path)
        .map_err(|e| format!("{}: {e}", corpus_path.display()))?;
    let mut messages = Vec::new();
    for (n, line) in corpus.lines().enumerate() {
        let v: Value = serde_json::from_str(line)
            .map_err(|e| format!("{}:{}: {e}", corpus_path.display(), n + 1))?;
        messages.push(v);
    }
    let targets = [
        ("parse", schemas(workspace)?),
        ("registry", registry(&messages)),
        ("event", events(&messages)),
        ("client_lines", client_lines(&messages)),
    ];
    let mut files = 0;
    for (target, seeds) in targets {
        let dir = workspace.join("fuzz/seeds").join(target);
        // Stale seeds (of a message no longer recorded) go.
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        for (name, bytes) in seeds {
            let path = dir.join(name);
            std::fs::write(&path, bytes).map_err(|e| format!("{}: {e}", path.display()))?;
            files += 1;
        }
    }
    Ok(files)
}

/// The project's own test schemas, good and bad (not QEMU's: the seeds
/// are committed).
fn schemas(workspace: &Path) -> Result<Vec<Seed>, String> {
    let mut seeds = Vec::new();
    let mut dirs = vec![
        workspace.join("qapi-parser/tests/schemas"),
        workspace.join("schema/tests"),
    ];
    while let Some(dir) = dirs.pop() {
        let entries = std::fs::read_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        for entry in entries {
            let path = entry.map_err(|e| format!("{}: {e}", dir.display()))?.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|x| x == "json") {
                let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
                let name = path
                    .strip_prefix(workspace)
                    .unwrap_or(&path)
                    .to_string_lossy()
                    .replace('/', "_");
                seeds.push((name, bytes));
            }
        }
    }
    seeds.sort();
    Ok(seeds)
}

/// `arguments NAME` or `returns NAME`, a newline, the JSON.
fn registry(messages: &[Value]) -> Vec<Seed> {
    let mut seeds: Vec<Seed> = messages
        .iter()
        .filter_map(|m| Some((m["command"].as_str()?, m["reply"].get("return")?)))
        .map(|(name, ret)| (format!("returns-{name}"), format!("returns {name}\n{ret}")))
        .map(|(file, text)| (file, text.into_bytes()))
        .collect();
    for (name, args) in rich_arguments() {
        let file = format!("arguments-{name}-{}", seeds.len());
        seeds.push((file, format!("arguments {name}\n{args}").into_bytes()));
    }
    seeds
}

/// Arguments of the commands whose types are deepest: unions of unions,
/// recursive block node references, lists of actions.
fn rich_arguments() -> Vec<(&'static str, Value)> {
    let qcow2 = json!({
        "driver": "qcow2", "node-name": "disk",
        "file": {"driver": "file", "filename": "/tmp/disk.qcow2", "aio": "threads"},
        "backing": null, "discard": "unmap", "cache": {"direct": false, "no-flush": false},
    });
    let mut nested = json!({"driver": "null-co", "size": 1});
    for i in 0..50 {
        nested = json!({"driver": "raw", "node-name": format!("n{i}"), "file": nested});
    }
    vec![
        ("blockdev-add", qcow2),
        ("blockdev-add", nested),
        (
            "blockdev-add",
            json!({"driver": "nbd", "node-name": "nbd0", "export": "e",
                   "server": {"type": "inet", "host": "localhost", "port": "10809"}}),
        ),
        (
            "transaction",
            json!({"actions": [
                {"type": "blockdev-snapshot-sync", "data": {"device": "disk", "snapshot-file": "/tmp/s.qcow2", "format": "qcow2"}},
                {"type": "block-dirty-bitmap-add", "data": {"node": "disk", "name": "b0", "persistent": true}},
                {"type": "abort", "data": {}},
            ], "properties": {"completion-mode": "grouped"}}),
        ),
        (
            "blockdev-create",
            json!({"job-id": "c", "options": {"driver": "qcow2", "file": "proto", "size": 1048576, "cluster-size": 65536}}),
        ),
        (
            "blockdev-mirror",
            json!({"job-id": "m", "device": "disk", "target": "t", "sync": "full", "copy-mode": "write-blocking"}),
        ),
        (
            "object-add",
            json!({"qom-type": "memory-backend-file", "id": "mem", "size": 1048576, "mem-path": "/dev/shm/x", "share": true}),
        ),
        (
            "device_add",
            json!({"driver": "virtio-blk-pci", "id": "vd0", "drive": "disk", "bus": "pci.0", "addr": "0x5"}),
        ),
        (
            "chardev-add",
            json!({"id": "c0", "backend": {"type": "socket", "data": {"addr": {"type": "unix", "data": {"path": "/tmp/c.sock"}}, "server": true, "wait": false}}}),
        ),
        (
            "migrate-set-parameters",
            json!({"max-bandwidth": 1000000, "multifd-channels": 4, "tls-creds": null}),
        ),
        ("query-named-block-nodes", json!({"flat": true})),
    ]
}

/// Event lines, as QEMU writes them.
fn events(messages: &[Value]) -> Vec<Seed> {
    let timestamp = json!({"seconds": 1733240000, "microseconds": 123456});
    let mut lines: Vec<(String, Value)> = messages
        .iter()
        .filter(|m| m.get("event").is_some())
        .map(|m| {
            (
                m["event"].as_str().unwrap_or("event").to_string(),
                m.clone(),
            )
        })
        .collect();
    for (name, data) in [
        (
            "BLOCK_JOB_COMPLETED",
            json!({"type": "mirror", "device": "m", "len": 1048576, "offset": 1048576, "speed": 0}),
        ),
        (
            "JOB_STATUS_CHANGE",
            json!({"id": "c", "status": "concluded"}),
        ),
        (
            "DEVICE_DELETED",
            json!({"device": "vd0", "path": "/machine/peripheral/vd0/virtio-backend"}),
        ),
        (
            "BLOCK_IO_ERROR",
            json!({"device": "", "node-name": "disk", "operation": "write", "action": "report", "nospace": false, "reason": "No space left on device", "qom-path": "/machine/peripheral/vd0"}),
        ),
        (
            "X_FROM_A_NEWER_QEMU",
            json!({"a": {"b": [1, 2, {"c": null}]}}),
        ),
    ] {
        lines.push((
            name.to_string(),
            json!({"event": name, "data": data, "timestamp": timestamp}),
        ));
    }
    lines
        .into_iter()
        .enumerate()
        .map(|(i, (name, line))| (format!("{i:02}-{name}"), format!("{line}").into_bytes()))
        .collect()
}

/// A session as the client reads it: a setting byte (chunk size, line
/// limit), the greeting, then replies (with ids, and without) and events.
fn client_lines(messages: &[Value]) -> Vec<Seed> {
    let greeting = r#"{"QMP": {"version": {"qemu": {"micro": 2, "minor": 0, "major": 10}, "package": "Debian 1:10.0.2+ds-2"}, "capabilities": ["oob"]}}"#;
    let mut seeds = Vec::new();
    for (i, m) in messages.iter().enumerate() {
        let mut session = format!("{greeting}\r\n");
        match m.get("reply") {
            Some(reply) => {
                let mut with_id = reply.clone();
                with_id["id"] = json!(i);
                session.push_str(&format!("{reply}\r\n{with_id}\r\n"));
            }
            None => session.push_str(&format!("{m}\r\n")),
        }
        // Chunk sizes vary with the seed; every fourth has the small
        // line limit.
        let setting = (i as u8 % 64) | if i % 4 == 3 { 0x40 } else { 0 };
        let name = m["command"].as_str().or(m["event"].as_str()).unwrap_or("m");
        let mut bytes = vec![setting];
        bytes.extend_from_slice(session.as_bytes());
        seeds.push((format!("{i:02}-{name}"), bytes));
    }
    // What QMP never sends, and what breaks lines.
    let mut hostile = vec![0x07];
    hostile.extend_from_slice(greeting.as_bytes());
    hostile.extend_from_slice(b"\n[null, 1, {}]\n{\"return\": {}, \"error\": {\"class\": \"GenericError\", \"desc\": \"x\"}, \"id\": 3}\n");
    hostile.extend_from_slice(b"{\"event\": \"STOP\", \"data\": {\"x\": \"\xff\"}, \"timestamp\": {\"seconds\": 1, \"microseconds\": 0}}\n");
    hostile
        .extend_from_slice(b"{\"return\": {\"id\": 5}, \"id\": 6}\r\n{\"id\": 7}\n{\"return\": [");
    seeds.push(("hostile".to_string(), hostile));
    seeds
}
