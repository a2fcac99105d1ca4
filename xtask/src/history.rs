//! `cargo xtask history`: what changed in QEMU's schemas across the
//! releases users run, as facts derived from each release's schema (not
//! QEMU's text), in `schema/history.json`.
//!
//! For every type, command and event, and every member of every object
//! type (own and inherited, keyed by the type that has them), the file
//! holds one character per release, oldest first: `-` absent, `o` present
//! and optional, `R` present and required (for types, commands and
//! events: `x` present). So "first release", "last release" and "required
//! in" are read off one string. Regen reads it with the pin: a member the
//! pinned release requires but some release from the floor on lacks (or
//! makes optional) while its type exists there is generated optional,
//! since a server of that release never sends it.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// The releases a VM manager meets, oldest first: the floor is RHEL 8's
/// and Ubuntu 22.04's 6.2.
pub const RELEASES: [&str; 13] = [
    "6.2.0", "7.0.0", "7.1.0", "7.2.0", "8.0.0", "8.1.0", "8.2.0", "9.0.0", "9.1.0", "9.2.4",
    "10.0.2", "10.1.0", "10.2.2",
];

/// The history of one schema (QMP, or the guest agent's).
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct SchemaHistory {
    /// Types, commands and events, by QAPI name: `x` per release that
    /// has it.
    pub entities: BTreeMap<String, String>,
    /// Members of object types (own and inherited), by type and member.
    pub members: BTreeMap<String, BTreeMap<String, String>>,
    /// Values of enums, by enum and value.
    pub values: BTreeMap<String, BTreeMap<String, String>>,
}

/// The whole file.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct History {
    /// The releases, oldest first: position `i` of every string is
    /// release `i`.
    pub releases: Vec<String>,
    /// The SHA-256 of each release's schema files (over the sorted
    /// `path hash` lines of every file read), to check that the history
    /// was made from the trees it names.
    pub digests: BTreeMap<String, String>,
    /// By schema: `qmp`, `qga`.
    pub schemas: BTreeMap<String, SchemaHistory>,
    /// Where a member's type changed shape between two releases, by wire
    /// structure (`qapi_schema_parser::wire::diff` of each release with
    /// the one before, the model `qapi diff` uses): `SCHEMA RELEASE: ITEM
    /// PATH: type changed from A to B`. The bindings have the newest
    /// shape; README "Regenerating" says how each is met.
    #[serde(default)]
    pub shape_changes: Vec<String>,
}

/// Reads every release in `root` (a directory of QEMU trees named by
/// version) and builds the history.
pub fn build(root: &Path) -> Result<History, crate::Error> {
    let n = RELEASES.len();
    let mut history = History {
        releases: RELEASES.iter().map(|s| s.to_string()).collect(),
        ..History::default()
    };
    let mut previous: BTreeMap<&str, qapi_schema_parser::wire::WireSchema> = BTreeMap::new();
    for (i, release) in RELEASES.iter().enumerate() {
        let tree = root.join(release);
        let mut files = BTreeMap::new();
        // The schemas the bindings are generated from.
        for t in &crate::TARGETS {
            let path = tree.join(t.schema);
            let schema = qapi_schema_parser::parse_file(&path)
                .map_err(|e| format!("{}: {e}", path.display()))?;
            crate::hash_files(&schema, &tree, &mut files)?;
            let h = history.schemas.entry(t.name.to_string()).or_default();
            record(h, &schema, i, n);
            let wire = qapi_schema_parser::wire::WireSchema::from_schema(&schema);
            if let Some(before) = previous.get(t.name) {
                use qapi_schema_parser::wire::ChangeKind;
                for c in qapi_schema_parser::wire::diff(before, &wire).changes {
                    if matches!(c.kind, ChangeKind::TypeChanged(..)) && !c.conditional {
                        history.shape_changes.push(format!(
                            "{} {release}: {} {}: {}",
                            t.name, c.item, c.path, c.kind
                        ));
                    }
                }
            }
            previous.insert(t.name, wire);
        }
        history
            .digests
            .insert(release.to_string(), crate::files_digest(&files));
    }
    Ok(history)
}

/// Sets position `i` of the string at `slot` (made of `-` when new).
fn mark(slot: &mut String, i: usize, n: usize, c: char) {
    if slot.is_empty() {
        *slot = "-".repeat(n);
    }
    slot.replace_range(i..=i, &c.to_string());
}

fn record(h: &mut SchemaHistory, schema: &qapi_schema_parser::Schema, i: usize, n: usize) {
    use qapi_schema_parser::EntityKind;
    for (id, e) in schema.iter() {
        if matches!(e.kind, EntityKind::Builtin { .. } | EntityKind::Array(_)) {
            continue;
        }
        mark(h.entities.entry(e.name.clone()).or_default(), i, n, 'x');
        let members = match &e.kind {
            EntityKind::Struct(_) => schema.all_members(id),
            EntityKind::Union(u) => schema.all_members(u.base.id),
            EntityKind::Enum(en) => {
                let values = h.values.entry(e.name.clone()).or_default();
                for v in &en.values {
                    mark(values.entry(v.name.clone()).or_default(), i, n, 'x');
                }
                continue;
            }
            _ => continue,
        };
        let slots = h.members.entry(e.name.clone()).or_default();
        for m in members {
            let c = if m.optional { 'o' } else { 'R' };
            mark(slots.entry(m.name.clone()).or_default(), i, n, c);
        }
    }
}

/// The members the release at `pin` (an index into the releases)
/// requires that a server of an older release may leave out: each
/// `(type, member)` whose type exists in a release from the floor on
/// where the member is absent or optional.
///
/// A type renamed in case only (QEMU 10.1 made `SGXInfo` `SgxInfo`) is
/// one type: the wire does not carry type names, so an older server's
/// `SGXInfo` without a member is the newer `SgxInfo` without it.
///
/// A union's branch type stands where its union is: `positions` maps a
/// branch type to the unions it is a branch of (see [`branch_positions`]),
/// and in a release that has such a union but not the branch type, the
/// branch's members are absent. QEMU 8.2 made `BlockJobInfo` a union on
/// `type` with a `mirror` branch (`actively-synced`): a 7.2 server's mirror
/// job has the union's members and none of the branch's.
pub fn optional_since_floor(
    h: &SchemaHistory,
    pin: usize,
    positions: &BTreeMap<String, Vec<String>>,
) -> Vec<(String, String)> {
    let mut variants: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for ty in h.entities.keys() {
        variants.entry(canonical(ty)).or_default().push(ty);
    }
    let mut out = Vec::new();
    for (ty, members) in &h.members {
        let same = &variants[&canonical(ty)];
        let unions = positions.get(ty).map(Vec::as_slice).unwrap_or_default();
        let exists_at = |i: usize| {
            same.iter()
                .copied()
                .chain(unions.iter().map(String::as_str))
                .any(|v| h.entities.get(v).is_some_and(|p| p.as_bytes()[i] == b'x'))
        };
        for (member, presence) in members {
            if presence.as_bytes().get(pin) != Some(&b'R') {
                continue;
            }
            let required_at = |i: usize| {
                same.iter().any(|v| {
                    h.members
                        .get(*v)
                        .and_then(|m| m.get(member))
                        .is_some_and(|p| p.as_bytes()[i] == b'R')
                })
            };
            if (0..pin).any(|i| exists_at(i) && !required_at(i)) {
                out.push((ty.clone(), member.clone()));
            }
        }
    }
    out
}

/// A type's name with case and separators folded: QEMU renamed types in
/// case only (10.1 made `SGXInfo` `SgxInfo`), which the wire never sees.
fn canonical(name: &str) -> String {
    name.chars()
        .filter(|c| !matches!(c, '-' | '_' | '.'))
        .flat_map(char::to_lowercase)
        .collect()
}

/// When things came, for the docs and `FIRST_RELEASE`: every command,
/// event and type first seen after the floor release (with its release,
/// `"8.0"`), and every member and enum value first seen after its type.
pub struct FirstReleases {
    /// `(name, release)`.
    pub items: Vec<(String, String)>,
    /// `(type, member or value, release)`.
    pub members: Vec<(String, String, String)>,
}

/// The releases' first appearances in `h` (whose releases are
/// `releases`, oldest first), up to the pinned one at `pin`.
pub fn first_releases(h: &SchemaHistory, releases: &[String], pin: usize) -> FirstReleases {
    let short = |i: usize| {
        let r = &releases[i];
        r.splitn(3, '.').take(2).collect::<Vec<_>>().join(".")
    };
    let first = |p: &str, present: &[u8]| {
        p.as_bytes()[..=pin]
            .iter()
            .position(|c| present.contains(c))
    };
    let mut variants: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for ty in h.entities.keys() {
        variants.entry(canonical(ty)).or_default().push(ty);
    }
    // A type's first release, over the spellings of its name.
    let type_first = |ty: &str| -> Option<usize> {
        variants
            .get(&canonical(ty))
            .into_iter()
            .flatten()
            .filter_map(|v| h.entities.get(*v).and_then(|p| first(p, b"x")))
            .min()
    };
    let mut out = FirstReleases {
        items: Vec::new(),
        members: Vec::new(),
    };
    for name in h.entities.keys() {
        if let Some(i) = type_first(name).filter(|&i| i > 0) {
            out.items.push((name.clone(), short(i)));
        }
    }
    for (ty, table, present) in h
        .members
        .iter()
        .map(|(t, m)| (t, m, b"Ro".as_slice()))
        .chain(h.values.iter().map(|(t, v)| (t, v, b"x".as_slice())))
    {
        let Some(since_type) = type_first(ty) else {
            continue;
        };
        for (member, p) in table {
            if let Some(i) = first(p, present).filter(|&i| i > since_type) {
                out.members.push((ty.clone(), member.clone(), short(i)));
            }
        }
    }
    out
}

/// For each type that is the branch of a union a server sends (one
/// reachable from a command's return or an event's data) in `schema`,
/// the unions it is a branch of: where its members are on the wire. The
/// unions only sent to the server are left out: an older server does not
/// take a branch it lacks at all, so its members may stay required.
pub fn branch_positions(schema: &qapi_schema_parser::Schema) -> BTreeMap<String, Vec<String>> {
    use qapi_schema_parser::EntityKind;
    let mut sent = std::collections::BTreeSet::new();
    let mut todo: Vec<_> = schema
        .iter()
        .filter_map(|(_, e)| match &e.kind {
            EntityKind::Command(c) => c.returns.as_ref().map(|t| t.id),
            EntityKind::Event(ev) => ev.data.as_ref().map(|t| t.id),
            _ => None,
        })
        .collect();
    while let Some(id) = todo.pop() {
        if !sent.insert(id) {
            continue;
        }
        match &schema.entity(id).kind {
            EntityKind::Struct(_) => todo.extend(schema.all_members(id).iter().map(|m| m.ty.id)),
            EntityKind::Union(u) => {
                todo.push(u.base.id);
                todo.extend(u.branches.iter().map(|b| b.ty.id));
            }
            EntityKind::Alternate(a) => todo.extend(a.branches.iter().map(|b| b.ty.id)),
            EntityKind::Array(a) => todo.push(a.element.id),
            _ => {}
        }
    }
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for &id in &sent {
        let e = schema.entity(id);
        if let EntityKind::Union(u) = &e.kind {
            for b in u.branches.iter().filter(|b| b.explicit) {
                out.entry(b.ty.name.clone())
                    .or_default()
                    .push(e.name.clone());
            }
        }
    }
    out
}

/// Writes the history as JSON: one entry per line, sorted, so that a new
/// release shows as a reviewable diff.
pub fn to_text(h: &History) -> Result<String, crate::Error> {
    serde_json::to_string_pretty(h)
        .map(|t| t + "\n")
        .map_err(|e| e.to_string())
}
