//! `cargo xtask history`: what changed in QEMU's schemas across the
//! releases users run, as facts derived from each release's schema (not
//! QEMU's text), in `schema/history.json`.
//!
//! Each release is read into the wire model `qapi diff` compares
//! (`qapi_schema_parser::wire`): commands and events and the types they
//! reach, by structure. The file holds one character per release, oldest
//! first, for every command, event and named type they reach (by name:
//! `x` present, `-` absent), every member at every place it can be on the
//! wire (by command or event, then path: `returns[].inserted.ro`; `R`
//! required, `o` optional), and every enum value at every place
//! (`returns[].status=running`: `x`). So "first release", "last release"
//! and "required in" are read off one string, and a type QEMU renamed
//! keeps its members' history: paths carry no type names.
//!
//! Regen reads it with the pin: a member the pinned release requires
//! that a release from the floor on lacks (or makes optional) where its
//! object is on the wire is generated optional, since a server of that
//! release never sends it ([`optional_since_floor`]).

use qapi_schema_parser::wire::{Flow, Visit, WireSchema};
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
    /// Commands, events and the named types they reach, by QAPI name:
    /// `x` per release that has it.
    pub entities: BTreeMap<String, String>,
    /// Members, by command or event (`command query-block`) and by path
    /// (`returns[].inserted.ro`): `R` required, `o` optional, `-` absent.
    pub members: BTreeMap<String, BTreeMap<String, String>>,
    /// Enum values, by command or event and by `path=value`.
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
    let mut previous: BTreeMap<&str, WireSchema> = BTreeMap::new();
    for (i, release) in RELEASES.iter().enumerate() {
        let tree = root.join(release);
        let mut files = BTreeMap::new();
        // The schemas the bindings are generated from.
        for t in &crate::TARGETS {
            let path = tree.join(t.schema);
            let schema = qapi_schema_parser::parse_file(&path)
                .map_err(|e| format!("{}: {e}", path.display()))?;
            crate::hash_files(&schema, &tree, &mut files)?;
            let wire = WireSchema::from_schema(&schema);
            let h = history.schemas.entry(t.name.to_string()).or_default();
            record(h, &schema, &wire, i, n);
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

/// A release as the docs name it: `"9.0.0"` -> `"9.0"`.
pub fn short(release: &str) -> String {
    release.splitn(3, '.').take(2).collect::<Vec<_>>().join(".")
}

/// Sets position `i` of the string at `slot` (made of `-` when new).
fn mark(slot: &mut String, i: usize, n: usize, c: char) {
    if slot.is_empty() {
        *slot = "-".repeat(n);
    }
    slot.replace_range(i..=i, &c.to_string());
}

fn record(
    h: &mut SchemaHistory,
    schema: &qapi_schema_parser::Schema,
    wire: &WireSchema,
    i: usize,
    n: usize,
) {
    use qapi_schema_parser::EntityKind;
    // Definitions by name: whether a release defines a type is not a
    // question of the wire (a type may be defined long before a command
    // carries it).
    for (_, e) in schema.iter() {
        if !matches!(e.kind, EntityKind::Builtin { .. } | EntityKind::Array(_)) {
            mark(h.entities.entry(e.name.clone()).or_default(), i, n, 'x');
        }
    }
    wire.visit(&mut |v| match v {
        Visit::Item { .. } => {}
        Visit::Member { at, member, .. } => {
            let c = if member.optional { 'o' } else { 'R' };
            let slots = h.members.entry(at.item.clone()).or_default();
            // A member reached twice at one place (through two branches
            // of an alternate) is required if either says so.
            let slot = slots.entry(at.path.clone()).or_default();
            if !(c == 'o' && slot.as_bytes().get(i) == Some(&b'R')) {
                mark(slot, i, n, c);
            }
        }
        Visit::Value { at, value, .. } => {
            let key = format!("{}={}", at.path, value.name);
            mark(
                h.values
                    .entry(at.item.clone())
                    .or_default()
                    .entry(key)
                    .or_default(),
                i,
                n,
                'x',
            );
        }
    });
}

/// Where an object is, in one release's members: an object is on the
/// wire at a place in release `i` when a member of it is recorded there
/// for that release (one without members has none to miss). A place
/// the walk did not enter (a type inside itself, as 7.2's vmdk extents
/// were images inside an image) has no members recorded, so nothing is
/// taken as missing below it.
struct Places<'h> {
    h: &'h SchemaHistory,
}

impl Places<'_> {
    /// Whether any member below `prefix` (`returns[].`) of `item` is
    /// there in release `i`.
    fn any_below(&self, item: &str, prefix: &str, i: usize) -> bool {
        self.h.members.get(item).is_some_and(|m| {
            m.range(prefix.to_string()..)
                .take_while(|(k, _)| k.starts_with(prefix))
                .any(|(_, p)| p.as_bytes().get(i).is_some_and(|&c| c != b'-'))
        })
    }

    fn exists(&self, item: &str, pos: &str, flow: Flow, i: usize) -> bool {
        if self.any_below(item, &format!("{pos}."), i) {
            return true;
        }
        // A union's branch without its members there: what a server sends
        // is still there when the union had no branches at all yet (it
        // was a plain object: 7.2's block job info, which 8.2 made a
        // union), so such a server's reply lacks the branch's members.
        // An older server that takes no such branch in arguments refuses
        // it whatever the bindings make optional.
        match pos.strip_suffix(']').and_then(|p| p.rsplit_once('[')) {
            Some((base, _)) if flow == Flow::FromServer => {
                self.any_below(item, &format!("{base}."), i)
                    && !self.any_below(item, &format!("{base}["), i)
            }
            _ => false,
        }
    }
}

/// The object position a member's path is in (`returns[].inserted.ro` ->
/// `returns[].inserted`).
fn parent(path: &str) -> &str {
    // Member names have no dots; branch tags and values may not contain
    // one either, so the last dot ends the object's path.
    path.rsplit_once('.').map_or(path, |(p, _)| p)
}

/// The members the release at `pin` (an index into the releases)
/// requires that a server of an older release may leave out, as
/// `(type, member)` of the pinned release's wire model `wire` (the type
/// that has the member; a union's branch type for its branch's members):
/// each whose object is on the wire, at some place, in a release from the
/// floor on where the member is absent or optional there.
///
/// QEMU 8.2 made `BlockJobInfo` a union on `type` with a `mirror` branch
/// (`actively-synced`): a 7.2 server's mirror job has the union's members
/// and none of the branch's, so the branch's members are optional.
pub fn optional_since_floor(
    h: &SchemaHistory,
    pin: usize,
    wire: &WireSchema,
) -> Vec<(String, String)> {
    let places = Places { h };
    let mut out = std::collections::BTreeSet::new();
    wire.visit(&mut |v| {
        let Visit::Member {
            at,
            flow,
            owner,
            member,
        } = v
        else {
            return;
        };
        let Some(presence) = h.members.get(&at.item).and_then(|m| m.get(&at.path)) else {
            return;
        };
        if member.optional || presence.as_bytes().get(pin) != Some(&b'R') {
            return;
        }
        let object = parent(&at.path);
        // The cheap test first: most members were required all along.
        let missed = (0..pin)
            .any(|i| presence.as_bytes()[i] != b'R' && places.exists(&at.item, object, flow, i));
        if let (true, Some(ty)) = (missed, wire.name(owner)) {
            out.insert((ty.to_string(), member.name.clone()));
        }
    });
    out.into_iter().collect()
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
/// `releases`, oldest first), up to the pinned one at `pin`, for the
/// items of the pinned release's `schema` and its wire model `wire`. A
/// member's or value's first release is its earliest at any place its
/// type is on the wire, and it is listed when that is later than the
/// type's own earliest: a type newly carried by a command (the audio
/// backends, with `query-audiodevs` in 8.0) brings its members at once,
/// whatever its definition had before.
pub fn first_releases(
    h: &SchemaHistory,
    releases: &[String],
    pin: usize,
    schema: &qapi_schema_parser::Schema,
    wire: &WireSchema,
) -> FirstReleases {
    let short = |i: usize| short(&releases[i]);
    let first = |p: &str| p.as_bytes()[..=pin].iter().position(|&c| c != b'-');
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
            .filter_map(|v| h.entities.get(*v).and_then(|p| first(p)))
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
    // Each member's and value's earliest release at any of its places,
    // and each type's earliest on the wire (its first member's): a
    // member later than its type came later; a type newly carried by a
    // command brings all its members at once.
    let mut earliest: BTreeMap<(String, String), usize> = BTreeMap::new();
    wire.visit(&mut |v| {
        let (owner, name, presence) = match v {
            Visit::Member {
                at, owner, member, ..
            } => (
                owner,
                member.name.clone(),
                h.members.get(&at.item).and_then(|m| m.get(&at.path)),
            ),
            Visit::Value {
                at, owner, value, ..
            } => (
                owner,
                value.name.clone(),
                h.values
                    .get(&at.item)
                    .and_then(|m| m.get(&format!("{}={}", at.path, value.name))),
            ),
            Visit::Item { .. } => return,
        };
        let (Some(ty), Some(i)) = (wire.name(owner), presence.and_then(|p| first(p))) else {
            return;
        };
        let slot = earliest.entry((ty.to_string(), name)).or_insert(i);
        *slot = (*slot).min(i);
    });
    // A base type's members travel inside the types built on it (an
    // image's `BlockNodeInfo` members in `ImageInfo`): they came when
    // they first came in any of them.
    for ((ty, member), i) in earliest.clone() {
        for base in bases_with(schema, &ty, &member) {
            let slot = earliest.entry((base, member.clone())).or_insert(i);
            *slot = (*slot).min(i);
        }
    }
    let mut type_on_wire: BTreeMap<&str, usize> = BTreeMap::new();
    for ((ty, _), &i) in &earliest {
        let slot = type_on_wire.entry(ty).or_insert(i);
        *slot = (*slot).min(i);
    }
    for ((ty, member), i) in &earliest {
        if type_on_wire.get(ty.as_str()).is_some_and(|&t| *i > t) {
            out.members.push((ty.clone(), member.clone(), short(*i)));
        }
    }
    out
}

/// The base types in the chain of struct `ty` of `schema` that have
/// `member` (inherited ones included).
fn bases_with(schema: &qapi_schema_parser::Schema, ty: &str, member: &str) -> Vec<String> {
    use qapi_schema_parser::EntityKind;
    let mut out = Vec::new();
    let mut cur = schema.lookup(ty);
    while let Some(EntityKind::Struct(s)) = cur.map(|e| &e.kind) {
        let Some(base) = &s.base else { break };
        if !schema.all_members(base.id).iter().any(|m| m.name == member) {
            break;
        }
        out.push(base.name.clone());
        cur = Some(schema.entity(base.id));
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
