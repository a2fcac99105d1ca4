//! The command documentation `qmp help COMMAND` prints, taken from the
//! pinned schema's doc comments by `cargo xtask regen` (the tool talks to
//! servers that do not send their docs): per command its overview (up to
//! its examples), its arguments', return's and features' descriptions
//! and its `Since:`. Written as JSON into `qmp-cli/src/generated/`.

use qapi_schema_parser::doc::{Doc, SectionKind};
use qapi_schema_parser::{EntityKind, Schema};
use serde_json::{Map, Value, json};

/// Where the files go, in the workspace.
pub const OUT: &str = "qmp-cli/src/generated";

/// The prose of a section, without its rST examples.
fn prose(text: &str) -> String {
    let end = text.find(".. qmp-example::").unwrap_or(text.len());
    text[..end].trim().to_string()
}

/// The docs table of `schema` (whose tree is QEMU `version`), as the
/// text of `NAME-docs.json`.
pub fn table(schema: &Schema, version: &str, source: &str) -> Result<String, String> {
    let mut commands = Map::new();
    for (_, e) in schema.iter() {
        let EntityKind::Command(c) = &e.kind else {
            continue;
        };
        let docs: Vec<&Doc> = std::iter::once(e.doc.as_ref())
            .chain(c.arguments.iter().map(|a| schema.entity(a.id).doc.as_ref()))
            .flatten()
            .collect();
        let own = e.doc.as_ref();
        let mut arguments = Map::new();
        if let Some(a) = &c.arguments {
            for m in schema.all_members(a.id) {
                // Every argument, documented or not: the guest agent has
                // no introspection, and `qmp -g` completes from this list.
                let text = docs
                    .iter()
                    .find_map(|d| d.member(&m.name))
                    .map(|s| prose(&s.text));
                arguments.insert(m.name.clone(), Value::String(text.unwrap_or_default()));
            }
        }
        let mut features = Map::new();
        for f in &e.features {
            if let Some(s) = own.and_then(|d| d.feature(&f.name)) {
                features.insert(f.name.clone(), Value::String(prose(&s.text)));
            }
        }
        let mut entry = Map::new();
        if let Some(body) = own.and_then(Doc::body).map(prose).filter(|b| !b.is_empty()) {
            entry.insert("doc".into(), Value::String(body));
        }
        if let Some(r) = own.and_then(|d| d.section(SectionKind::Returns)) {
            entry.insert("returns".into(), Value::String(prose(&r.text)));
        }
        if let Some(s) = own.and_then(Doc::since) {
            entry.insert("since".into(), Value::String(s.trim().to_string()));
        }
        if !arguments.is_empty() {
            entry.insert("arguments".into(), Value::Object(arguments));
        }
        if !features.is_empty() {
            entry.insert("features".into(), Value::Object(features));
        }
        commands.insert(e.name.clone(), Value::Object(entry));
    }
    let table = json!({
        "@generated": format!("by `cargo xtask regen` from QEMU {version}'s {source}: do not edit"),
        "qemu": version,
        "commands": commands,
    });
    serde_json::to_string_pretty(&table)
        .map(|t| t + "\n")
        .map_err(|e| e.to_string())
}
