//! `qapi diff OLD NEW`: two schemas compared by what travels on the wire.

use qapi_schema_parser::wire::{ChangeKind, Diff, WireSchema, diff};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Reads one side: a source tree (its `qapi/qapi-schema.json`), a root
/// schema file (by the rules of its tree's release), or a saved
/// `query-qmp-schema` reply.
fn read(path: &Path) -> Result<WireSchema, String> {
    let root: PathBuf = if path.is_dir() {
        let root = path.join("qapi/qapi-schema.json");
        if !root.is_file() {
            return Err(format!(
                "{}: no qapi/qapi-schema.json in this directory",
                path.display()
            ));
        }
        root
    } else {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        // A schema is not JSON (single quotes, comments); a saved reply is.
        if let Ok(value) = serde_json::from_str::<serde_json::Value>(&text) {
            if value.is_array() || value.get("return").is_some() {
                return WireSchema::from_introspection(&value)
                    .map_err(|e| format!("{}: {e}", path.display()));
            }
        }
        path.to_path_buf()
    };
    let options = qapi_schema_parser::Options {
        sequential: true,
        ..Default::default()
    };
    let schema = qapi_schema_parser::parse_file_with(&root, options).map_err(|e| e.to_string())?;
    Ok(WireSchema::from_schema(&schema))
}

fn json(d: &Diff) -> serde_json::Value {
    let changes = d.changes.iter().map(|c| {
        let (kind, detail) = match &c.kind {
            ChangeKind::Added => ("added", None),
            ChangeKind::Removed => ("removed", None),
            ChangeKind::ValueAdded(v) => ("value-added", Some(v.clone())),
            ChangeKind::ValueRemoved(v) => ("value-removed", Some(v.clone())),
            ChangeKind::BranchAdded(v) => ("branch-added", Some(v.clone())),
            ChangeKind::BranchRemoved(v) => ("branch-removed", Some(v.clone())),
            ChangeKind::BecameRequired => ("became-required", None),
            ChangeKind::BecameOptional => ("became-optional", None),
            ChangeKind::TypeChanged(a, b) => ("type-changed", Some(format!("{a} -> {b}"))),
            ChangeKind::FeatureAdded(v) => ("feature-added", Some(v.clone())),
            ChangeKind::FeatureRemoved(v) => ("feature-removed", Some(v.clone())),
            ChangeKind::AllowOob(b) => ("allow-oob", Some(b.to_string())),
        };
        serde_json::json!({
            "item": c.item, "path": c.path, "kind": kind, "detail": detail,
            "breaking": c.breaking, "conditional": c.conditional,
        })
    });
    serde_json::Value::Array(changes.collect())
}

/// Runs `qapi diff`.
pub(crate) fn run(old: &Path, new: &Path, as_json: bool) -> ExitCode {
    let (a, b) = match (read(old), read(new)) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let d = diff(&a, &b);
    if as_json {
        match serde_json::to_string_pretty(&json(&d)) {
            Ok(s) => println!("{s}"),
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
        }
    } else {
        print!("{d}");
    }
    if d.breaking() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
