//! What differs between two wire models, per command and event: what a
//! client of that command must change.

use super::{TypeId, WireSchema, WireType};
use std::collections::{BTreeMap, HashSet};
use std::fmt;

/// Every difference between two schemas.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Diff {
    /// The changes, by command and event (commands first, each in name
    /// order), each item's in the order they were found.
    pub changes: Vec<Change>,
}

/// One difference.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// The command or event: `command blockdev-add`, `event STOP`.
    pub item: String,
    /// Where in it (`arguments.file.filename`, `returns[0].inserted`,
    /// `data.status`; with `[tag=value]` in a union's branch); empty for
    /// the item itself.
    pub path: String,
    /// What changed.
    pub kind: ChangeKind,
    /// Whether a client that worked with the old schema may break: a
    /// removed command, event, member or accepted value, a member that
    /// became required in arguments or optional in a reply, a changed
    /// type, out-of-band execution withdrawn.
    pub breaking: bool,
    /// Whether the side that has it has it only under a build condition
    /// (`if`): a server built without it lacks it, which is no change of
    /// the schema.
    pub conditional: bool,
    /// Which way the values it is part of travel; `None` for a change of
    /// the command or event itself.
    pub flow: Option<Flow>,
    /// For a member added or removed: whether it is optional on the side
    /// that has it (`false` for every other change).
    pub optional: bool,
}

/// Which way values of a type travel: what a client must send keeps its
/// members when the server's grow optional ones; what it receives keeps
/// its values when the server adds more.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Flow {
    /// Sent to the server (a command's arguments).
    ToServer,
    /// Sent by the server (a command's return value, an event's data).
    FromServer,
}

/// What a [`Change`] is.
#[derive(Debug, Clone, PartialEq)]
pub enum ChangeKind {
    /// The command, event or member is new.
    Added,
    /// The command, event or member is gone.
    Removed,
    /// An enum value is new.
    ValueAdded(String),
    /// An enum value is gone.
    ValueRemoved(String),
    /// A union branch (tag value) or an alternate branch (JSON type) is
    /// new.
    BranchAdded(String),
    /// A union or alternate branch is gone.
    BranchRemoved(String),
    /// An optional member became required.
    BecameRequired,
    /// A required member became optional.
    BecameOptional,
    /// The type changed (old, new, described).
    TypeChanged(String, String),
    /// A feature (`deprecated`, `unstable`...) is new.
    FeatureAdded(String),
    /// A feature is gone.
    FeatureRemoved(String),
    /// Out-of-band execution allowed (`true`) or withdrawn.
    AllowOob(bool),
}

impl fmt::Display for ChangeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChangeKind::Added => f.write_str("added"),
            ChangeKind::Removed => f.write_str("removed"),
            ChangeKind::ValueAdded(v) => write!(f, "value '{v}' added"),
            ChangeKind::ValueRemoved(v) => write!(f, "value '{v}' removed"),
            ChangeKind::BranchAdded(b) => write!(f, "branch '{b}' added"),
            ChangeKind::BranchRemoved(b) => write!(f, "branch '{b}' removed"),
            ChangeKind::BecameRequired => f.write_str("became required"),
            ChangeKind::BecameOptional => f.write_str("became optional"),
            ChangeKind::TypeChanged(old, new) => write!(f, "type changed from {old} to {new}"),
            ChangeKind::FeatureAdded(x) => write!(f, "feature '{x}' added"),
            ChangeKind::FeatureRemoved(x) => write!(f, "feature '{x}' removed"),
            ChangeKind::AllowOob(true) => f.write_str("out-of-band execution allowed"),
            ChangeKind::AllowOob(false) => f.write_str("out-of-band execution withdrawn"),
        }
    }
}

impl Diff {
    /// Whether anything a client could break on changed (leaving out what
    /// exists only under a build condition).
    pub fn breaking(&self) -> bool {
        self.changes.iter().any(|c| c.breaking && !c.conditional)
    }
}

/// The readable report: each command and event with its changes, one
/// per line, then a count.
impl fmt::Display for Diff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut item = "";
        let mut items = 0;
        for c in &self.changes {
            if c.item != item {
                item = &c.item;
                items += 1;
                writeln!(f, "{item}")?;
            }
            match c.path.as_str() {
                "" => write!(f, "  {}", c.kind)?,
                path => write!(f, "  {path}: {}", c.kind)?,
            }
            if c.conditional {
                f.write_str(" (only under a build condition)")?;
            } else if c.breaking {
                f.write_str(" [breaking]")?;
            }
            writeln!(f)?;
        }
        let breaking = self
            .changes
            .iter()
            .filter(|c| c.breaking && !c.conditional)
            .count();
        writeln!(
            f,
            "{} changes in {items} commands and events, {breaking} breaking",
            self.changes.len()
        )
    }
}

struct Walk<'a> {
    old: &'a WireSchema,
    new: &'a WireSchema,
    item: String,
    seen: HashSet<(TypeId, TypeId)>,
    /// The way the values being walked travel (`None` at the item).
    flow: Option<Flow>,
    out: Vec<Change>,
}

impl Walk<'_> {
    fn note(&mut self, path: &str, kind: ChangeKind, breaking: bool, conditional: bool) {
        self.out.push(Change {
            item: self.item.clone(),
            path: path.to_string(),
            kind,
            breaking,
            conditional,
            flow: self.flow,
            optional: false,
        });
    }

    /// [`Walk::note`] for a member added or removed, `optional` on the
    /// side that has it.
    fn note_member(&mut self, path: &str, kind: ChangeKind, breaking: bool, m: &super::WireMember) {
        self.note(path, kind, breaking, m.conditional);
        if let Some(c) = self.out.last_mut() {
            c.optional = m.optional;
        }
    }

    fn features(&mut self, path: &str, old: &[String], new: &[String]) {
        for f in new.iter().filter(|f| !old.contains(f)) {
            self.note(path, ChangeKind::FeatureAdded(f.clone()), false, false);
        }
        for f in old.iter().filter(|f| !new.contains(f)) {
            self.note(path, ChangeKind::FeatureRemoved(f.clone()), false, false);
        }
    }

    fn ty(&mut self, o: TypeId, n: TypeId, dir: Flow, path: &str) {
        if !self.seen.insert((o, n)) {
            return;
        }
        self.flow = Some(dir);
        let (old, new) = (self.old, self.new);
        match (old.ty(o), new.ty(n)) {
            (WireType::Builtin(a), WireType::Builtin(b)) if a == b => {}
            (WireType::Enum(a), WireType::Enum(b)) => {
                for v in b.iter().filter(|v| !a.iter().any(|w| w.name == v.name)) {
                    let c = v.conditional;
                    self.note(path, ChangeKind::ValueAdded(v.name.clone()), false, c);
                }
                for v in a.iter().filter(|v| !b.iter().any(|w| w.name == v.name)) {
                    let c = v.conditional;
                    self.note(
                        path,
                        ChangeKind::ValueRemoved(v.name.clone()),
                        dir == Flow::ToServer,
                        c,
                    );
                }
                for v in a {
                    if let Some(w) = b.iter().find(|w| w.name == v.name) {
                        self.features(&format!("{path}={}", v.name), &v.features, &w.features);
                    }
                }
            }
            (WireType::Array(a), WireType::Array(b)) => {
                let (a, b) = (*a, *b);
                self.ty(a, b, dir, &format!("{path}[]"));
            }
            (
                WireType::Object {
                    members: am,
                    tag: at,
                    variants: av,
                },
                WireType::Object {
                    members: bm,
                    tag: bt,
                    variants: bv,
                },
            ) => {
                if at != bt {
                    let d = |t: &Option<String>| match t {
                        Some(t) => format!("a union on '{t}'"),
                        None => "an object".to_string(),
                    };
                    self.note(path, ChangeKind::TypeChanged(d(at), d(bt)), true, false);
                }
                let join = |m: &str| {
                    if path.is_empty() {
                        m.to_string()
                    } else {
                        format!("{path}.{m}")
                    }
                };
                for m in bm.iter().filter(|m| !am.iter().any(|x| x.name == m.name)) {
                    // A new required argument breaks the clients that do
                    // not send it.
                    let breaking = dir == Flow::ToServer && !m.optional;
                    self.note_member(&join(&m.name), ChangeKind::Added, breaking, m);
                }
                for m in am.iter().filter(|m| !bm.iter().any(|x| x.name == m.name)) {
                    self.note_member(&join(&m.name), ChangeKind::Removed, true, m);
                }
                for m in am {
                    let Some(x) = bm.iter().find(|x| x.name == m.name) else {
                        continue;
                    };
                    let at = join(&m.name);
                    match (m.optional, x.optional) {
                        (true, false) => self.note(
                            &at,
                            ChangeKind::BecameRequired,
                            dir == Flow::ToServer,
                            false,
                        ),
                        (false, true) => self.note(
                            &at,
                            ChangeKind::BecameOptional,
                            dir == Flow::FromServer,
                            false,
                        ),
                        _ => {}
                    }
                    self.features(&at, &m.features, &x.features);
                    self.ty(m.ty, x.ty, dir, &at);
                }
                let tag = bt.as_deref().unwrap_or("tag");
                for v in bv.iter().filter(|v| !av.iter().any(|w| w.case == v.case)) {
                    self.note(
                        path,
                        ChangeKind::BranchAdded(v.case.clone()),
                        false,
                        v.conditional,
                    );
                }
                for v in av.iter().filter(|v| !bv.iter().any(|w| w.case == v.case)) {
                    let c = v.conditional;
                    self.note(path, ChangeKind::BranchRemoved(v.case.clone()), true, c);
                }
                for v in av {
                    if let Some(w) = bv.iter().find(|w| w.case == v.case) {
                        let (a, b) = (v.ty, w.ty);
                        self.ty(a, b, dir, &format!("{path}[{tag}={}]", v.case));
                    }
                }
            }
            (WireType::Alternate(a), WireType::Alternate(b)) => {
                let kinds = |s: &WireSchema, ts: &[TypeId]| -> BTreeMap<String, TypeId> {
                    ts.iter().map(|&t| (json_kind(s, t), t)).collect()
                };
                let (ka, kb) = (kinds(old, a), kinds(new, b));
                for k in kb.keys().filter(|k| !ka.contains_key(*k)) {
                    self.note(path, ChangeKind::BranchAdded(k.clone()), false, false);
                }
                for k in ka.keys().filter(|k| !kb.contains_key(*k)) {
                    self.note(path, ChangeKind::BranchRemoved(k.clone()), true, false);
                }
                for (k, &t) in &ka {
                    if let Some(&u) = kb.get(k) {
                        self.ty(t, u, dir, path);
                    }
                }
            }
            _ => {
                let change = ChangeKind::TypeChanged(describe(old, o), describe(new, n));
                self.note(path, change, true, false);
            }
        }
    }
}

/// The JSON type of an alternate's branch (how a value picks it).
fn json_kind(s: &WireSchema, t: TypeId) -> String {
    match s.ty(t) {
        WireType::Builtin(j) => format!("{j:?}").to_lowercase(),
        WireType::Enum(_) => "string".into(),
        WireType::Array(_) => "array".into(),
        WireType::Object { .. } => "object".into(),
        WireType::Alternate(_) => "alternate".into(),
    }
}

/// A type in a word or two, for a message.
fn describe(s: &WireSchema, t: TypeId) -> String {
    match s.ty(t) {
        WireType::Builtin(j) => format!("{j:?}").to_lowercase(),
        WireType::Enum(_) => "an enum".into(),
        WireType::Array(e) => format!("an array of {}", describe(s, *e)),
        WireType::Object { tag: Some(t), .. } => format!("a union on '{t}'"),
        WireType::Object { .. } => "an object".into(),
        WireType::Alternate(_) => "an alternate".into(),
    }
}

/// What differs from `old` to `new`, per command and event.
///
/// ```
/// use qapi_schema_parser::wire::{ChangeKind, WireSchema, diff};
/// let old = serde_json::json!([
///     {"name": "query-x", "meta-type": "command", "arg-type": "0", "ret-type": "0"},
///     {"name": "0", "meta-type": "object", "members": []}]);
/// let new = serde_json::json!([
///     {"name": "query-x", "meta-type": "command", "arg-type": "1", "ret-type": "0"},
///     {"name": "0", "meta-type": "object", "members": []},
///     {"name": "1", "meta-type": "object", "members": [{"name": "flat", "type": "bool", "default": null}]},
///     {"name": "bool", "meta-type": "builtin", "json-type": "boolean"}]);
/// let d = diff(&WireSchema::from_introspection(&old)?, &WireSchema::from_introspection(&new)?);
/// assert_eq!(d.changes.len(), 1);
/// assert_eq!(d.changes[0].path, "arguments.flat");
/// assert_eq!(d.changes[0].kind, ChangeKind::Added);
/// assert!(!d.breaking(), "a new optional argument breaks nobody");
/// # Ok::<(), String>(())
/// ```
pub fn diff(old: &WireSchema, new: &WireSchema) -> Diff {
    let mut changes = Vec::new();
    let walk = |item: String| Walk {
        old,
        new,
        item,
        seen: HashSet::new(),
        flow: None,
        out: Vec::new(),
    };
    let names = |a: Vec<&String>, b: Vec<&String>| {
        let mut all: Vec<String> = a.into_iter().chain(b).cloned().collect();
        all.sort();
        all.dedup();
        all
    };
    for name in names(old.commands.keys().collect(), new.commands.keys().collect()) {
        let mut w = walk(format!("command {name}"));
        match (old.commands.get(&name), new.commands.get(&name)) {
            (Some(a), Some(b)) => {
                w.features("", &a.features, &b.features);
                if a.allow_oob != b.allow_oob {
                    w.note("", ChangeKind::AllowOob(b.allow_oob), a.allow_oob, false);
                }
                w.ty(a.arguments, b.arguments, Flow::ToServer, "arguments");
                w.seen.clear();
                w.ty(a.returns, b.returns, Flow::FromServer, "returns");
            }
            (Some(a), None) => w.note("", ChangeKind::Removed, true, a.conditional),
            (None, Some(b)) => w.note("", ChangeKind::Added, false, b.conditional),
            (None, None) => {}
        }
        changes.extend(w.out);
    }
    for name in names(old.events.keys().collect(), new.events.keys().collect()) {
        let mut w = walk(format!("event {name}"));
        match (old.events.get(&name), new.events.get(&name)) {
            (Some(a), Some(b)) => {
                w.features("", &a.features, &b.features);
                w.ty(a.data, b.data, Flow::FromServer, "data");
            }
            (Some(a), None) => w.note("", ChangeKind::Removed, true, a.conditional),
            (None, Some(b)) => w.note("", ChangeKind::Added, false, b.conditional),
            (None, None) => {}
        }
        changes.extend(w.out);
    }
    Diff { changes }
}
