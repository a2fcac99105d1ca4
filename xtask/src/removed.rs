//! Commands and events QEMU removed after the floor release: the
//! bindings keep them, from the last release that had them, for the
//! servers that still do (a VM manager talking to 6.2 may need them).
//!
//! The release history says what is gone and when; the definitions come
//! from the release trees beside the pinned one (`../shared/qemu/9.0.0`
//! beside `../shared/qemu/10.2.2`), each checked against the digest the
//! history recorded for it, and go into the pinned schema with
//! `Schema::adopt`.

use crate::history::{History, short};
use qapi_schema_parser::{EntityKind, Origin, Schema};
use std::collections::BTreeMap;
use std::path::Path;

/// The commands and events one release tree gives the bindings.
pub struct FromRelease {
    /// The release (`"9.0.0"`).
    pub release: String,
    /// The release as the docs name it, the last that has these
    /// commands and events (`"9.0"`).
    pub last: String,
    /// The next release, the first that does not (`"9.1"`).
    pub removed: String,
    /// Its parsed schemas, by target name (`qmp`, `qga`).
    pub schemas: BTreeMap<&'static str, Schema>,
    /// The commands and events to take, by target.
    pub items: BTreeMap<&'static str, Vec<String>>,
}

/// Whether `name` may be a command's or an event's: the schema language
/// spells types in CamelCase (`BlockInfo`) and their implicit types
/// `q_obj_...`, commands in lower case and events in capitals. Only the
/// trees with such names are read; what each name is, its tree says.
fn may_be_command_or_event(name: &str) -> bool {
    let camel = name.starts_with(|c: char| c.is_ascii_uppercase())
        && name.contains(|c: char| c.is_ascii_lowercase());
    !camel && !name.starts_with("q_obj_")
}

/// The commands and events (by [`may_be_command_or_event`]) of each
/// target that the pinned release (index `pin`) lacks and an earlier one
/// had, by the index of the last release that had them.
fn gone(history: &History, pin: usize) -> BTreeMap<usize, BTreeMap<&'static str, Vec<String>>> {
    let mut out: BTreeMap<usize, BTreeMap<&'static str, Vec<String>>> = BTreeMap::new();
    for t in &crate::TARGETS {
        let Some(h) = history.schemas.get(t.name) else {
            continue;
        };
        for (name, presence) in &h.entities {
            let p = presence.as_bytes();
            if p.get(pin) == Some(&b'x') || !may_be_command_or_event(name) {
                continue;
            }
            if let Some(last) = p[..pin].iter().rposition(|&c| c == b'x') {
                out.entry(last)
                    .or_default()
                    .entry(t.name)
                    .or_default()
                    .push(name.clone());
            }
        }
    }
    out
}

/// Reads the release trees (in `root`, by version) that have commands
/// or events the pinned release (index `pin` of the history) lacks,
/// checks each against the history's digest, and lists what each gives.
/// The trees are read side by side.
pub fn load(root: &Path, history: &History, pin: usize) -> Result<Vec<FromRelease>, crate::Error> {
    let plan = gone(history, pin);
    let results: Vec<Result<FromRelease, crate::Error>> = std::thread::scope(|scope| {
        let handles: Vec<_> = plan
            .iter()
            .map(|(&last, names)| scope.spawn(move || load_one(root, history, last, names)))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err("a thread reading an old release panicked".into()))
            })
            .collect()
    });
    results.into_iter().collect()
}

fn load_one(
    root: &Path,
    history: &History,
    last: usize,
    names: &BTreeMap<&'static str, Vec<String>>,
) -> Result<FromRelease, crate::Error> {
    let release = &history.releases[last];
    let tree = root.join(release);
    if !tree.join("VERSION").is_file() {
        let all: Vec<&str> = names.values().flatten().map(String::as_str).collect();
        return Err(format!(
            "QEMU {release}'s tree is not at {} (regen reads the release trees beside the pinned one for what QEMU removed since: {})",
            tree.display(),
            all.join(", ")
        ));
    }
    // Every target's files make the release's digest, as the history
    // recorded it.
    let mut files = BTreeMap::new();
    let mut schemas = BTreeMap::new();
    for t in &crate::TARGETS {
        let path = tree.join(t.schema);
        let schema = qapi_schema_parser::parse_file_with(
            &path,
            qapi_schema_parser::Options {
                sequential: true,
                ..Default::default()
            },
        )
        .map_err(|e| format!("{}: {e}", path.display()))?;
        crate::hash_files(&schema, &tree, &mut files)?;
        schemas.insert(t.name, schema);
    }
    if history.digests.get(release.as_str()) != Some(&crate::files_digest(&files)) {
        return Err(format!(
            "schema/history.json was not made from the QEMU {release} tree at {} (its files' digest differs): run cargo xtask history",
            tree.display()
        ));
    }
    let mut items = BTreeMap::new();
    for (target, names) in names {
        let schema = &schemas[target];
        let kept: Vec<String> = names
            .iter()
            .filter(|n| {
                schema.lookup(n).is_some_and(|e| {
                    e.origin == Origin::Explicit
                        && matches!(e.kind, EntityKind::Command(_) | EntityKind::Event(_))
                })
            })
            .cloned()
            .collect();
        if !kept.is_empty() {
            items.insert(*target, kept);
        }
    }
    Ok(FromRelease {
        release: release.clone(),
        last: short(release),
        removed: short(&history.releases[last + 1]),
        schemas,
        items,
    })
}
