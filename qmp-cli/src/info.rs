//! `qmp info`: a one-screen summary of the VM (the seeds' vm-info,
//! better). Each part comes from one query, asked only when the server
//! has it: a storage daemon or an older QEMU just shows less. Replies
//! are read as JSON, so a member a release lacks is left out, not an
//! error.

use qmp_client::{Client, ServerSchema};
use serde_json::Value;

/// A member as text (`-` when absent).
fn text(v: &Value, key: &str) -> String {
    match v.get(key) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => "-".into(),
        Some(other) => other.to_string(),
    }
}

/// Bytes in binary units.
fn size(bytes: u64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let (mut v, mut u) = (bytes as f64, 0);
    while v >= 1024.0 && u + 1 < units.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{bytes} B")
    } else {
        format!("{v:.1} {}", units[u])
    }
}

/// The virtual size of a block node's (or device's) image.
fn image_size(v: &Value) -> String {
    v.get("image")
        .and_then(|im| im.get("virtual-size"))
        .and_then(Value::as_u64)
        .map(size)
        .unwrap_or_else(|| "-".into())
}

/// The summary, as lines.
pub(crate) async fn summary(client: &Client, schema: &ServerSchema) -> Vec<String> {
    let ask = async |name: &str, args: Option<Value>| -> Option<Value> {
        if !schema.has_command(name) {
            return None;
        }
        client.execute_raw(name, args).await.ok()
    };
    let mut out = Vec::new();
    let v = &client.greeting().version;
    let package = v.package.trim();
    out.push(match package {
        "" => format!("QEMU {}", v.qemu),
        p => format!("QEMU {} ({p})", v.qemu),
    });
    if let Some(name) = ask("query-name", None).await {
        let uuid = ask("query-uuid", None).await.map(|u| text(&u, "UUID"));
        out.push(format!(
            "name: {}   uuid: {}",
            text(&name, "name"),
            uuid.unwrap_or_else(|| "-".into())
        ));
    }
    if let Some(status) = ask("query-status", None).await {
        out.push(format!("status: {}", text(&status, "status")));
    }
    let machine = ask(
        "qom-get",
        Some(serde_json::json!({"path": "/machine", "property": "type"})),
    )
    .await;
    if let Some(Value::String(m)) = machine {
        let target = ask("query-target", None).await.map(|t| text(&t, "arch"));
        out.push(format!(
            "machine: {} ({})",
            m.trim_end_matches("-machine"),
            target.unwrap_or_else(|| "-".into())
        ));
    }
    if let Some(Value::Array(cpus)) = ask("query-cpus-fast", None).await {
        let model = cpus.first().map(|c| text(c, "target")).unwrap_or_default();
        out.push(format!("cpus: {} {model}", cpus.len()));
    }
    if let Some(mem) = ask("query-memory-size-summary", None).await {
        let base = mem.get("base-memory").and_then(Value::as_u64).unwrap_or(0);
        out.push(format!("memory: {}", size(base)));
    }
    // A storage daemon has no devices: its nodes are what it serves.
    let blocks = match ask("query-block", None).await {
        Some(Value::Array(b)) if !b.is_empty() => Some(b),
        _ => None,
    };
    if let Some(blocks) = blocks {
        out.push(format!("block devices: {}", blocks.len()));
        for b in &blocks {
            let dev = match text(b, "qdev") {
                q if q != "-" => q,
                _ => text(b, "device"),
            };
            match b.get("inserted") {
                Some(i) => {
                    let vsize = image_size(i);
                    out.push(format!(
                        "  {dev}: node {} ({}) {} {vsize}",
                        text(i, "node-name"),
                        text(i, "drv"),
                        text(i, "file")
                    ));
                }
                None => out.push(format!("  {dev}: empty")),
            }
        }
    } else if let Some(Value::Array(nodes)) = ask("query-named-block-nodes", None).await {
        out.push(format!("block nodes: {}", nodes.len()));
        for n in &nodes {
            let vsize = image_size(n);
            out.push(format!(
                "  {} ({}) {} {vsize}",
                text(n, "node-name"),
                text(n, "drv"),
                text(n, "file")
            ));
        }
    }
    if let Some(Value::Array(nics)) = ask("query-rx-filter", None).await {
        out.push(format!("network devices: {}", nics.len()));
        for n in &nics {
            out.push(format!("  {} {}", text(n, "name"), text(n, "main-mac")));
        }
    }
    if let Some(Value::Array(chardevs)) = ask("query-chardev", None).await {
        let list: Vec<String> = chardevs
            .iter()
            .map(|c| format!("{} ({})", text(c, "label"), text(c, "filename")))
            .collect();
        out.push(format!("chardevs: {}", list.join(", ")));
    }
    if let Some(Value::Array(jobs)) = ask("query-jobs", None).await {
        match jobs.len() {
            0 => out.push("jobs: none".into()),
            n => {
                out.push(format!("jobs: {n}"));
                for j in &jobs {
                    out.push(format!(
                        "  {} {} {}: {}/{}",
                        text(j, "id"),
                        text(j, "type"),
                        text(j, "status"),
                        text(j, "current-progress"),
                        text(j, "total-progress")
                    ));
                }
            }
        }
    }
    if let Some(m) = ask("query-migrate", None).await {
        out.push(format!(
            "migration: {}",
            match text(&m, "status") {
                s if s == "-" => "none".into(),
                s => s,
            }
        ));
    }
    out
}
