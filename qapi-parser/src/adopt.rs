//! Definitions of another schema taken into this one.
//!
//! Bindings generated from the newest QEMU talk to every release from an
//! older floor on, so a command or event that QEMU removed since is still
//! wanted, in the form of the last release that had it.
//! [`Schema::adopt`] copies such definitions from that release's schema:
//! with them come the types only they use (their implicit arguments or
//! data, and named types this schema no longer has); a named type this
//! schema still has is shared, since the bindings have one type per name.
//! Sharing is checked on the wire: the adopted definition, as it now
//! reads with this schema's types, must still be understood by a server
//! of the old release and must still read what that server sends
//! ([`harmless`]), or adoption fails with the changes that stand in the
//! way ([`AdoptError::Conflict`]).

use crate::events_spec::{SpecEvent, SpecMember};
use crate::ir::{Entity, EntityId, EntityKind, Module, ModuleId, Origin, Schema, TypeRef};
use crate::source::{FileId, SourceFile, Span};
use crate::wire::{self, Change, ChangeKind, Flow, WireSchema};
use std::collections::HashMap;

/// What [`Schema::adopt`] took.
#[derive(Debug, Clone, PartialEq)]
pub struct Adopted {
    /// The definitions asked for, by name, with their ids in this schema.
    pub definitions: Vec<(String, EntityId)>,
    /// The named types they use that this schema lacked, copied along.
    pub copied_types: Vec<String>,
    /// The named types they use that this schema has by the same name:
    /// the definitions now use this schema's.
    pub shared_types: Vec<String>,
    /// How the definitions, as adopted, differ from the old schema's in
    /// ways that do not stop them working with a server of that release
    /// (a reply member the old server sends that the shared type lacks
    /// and keeps as an unknown member, an enum value added...).
    pub harmless: Vec<Change>,
}

/// Why [`Schema::adopt`] refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AdoptError {
    /// The schema to adopt from lacks the definition.
    #[error("{origin} has no definition '{name}'")]
    NotFound {
        /// The name asked for.
        name: String,
        /// The schema adopted from, as the caller named it.
        origin: String,
    },
    /// This schema has the name already.
    #[error("'{0}' is already defined")]
    Exists(String),
    /// Only commands and events are adopted (a type comes with them).
    #[error("'{0}' is not a command or an event")]
    NotCommandOrEvent(String),
    /// A type shared with this schema changed in a way a server of the
    /// old release would not understand, or whose messages would not
    /// decode.
    #[error(
        "{name} from {origin} cannot use this schema's types:\n  {}",
        changes.iter().map(|c| if c.path.is_empty() { c.kind.to_string() } else { format!("{}: {}", c.path, c.kind) }).collect::<Vec<_>>().join("\n  ")
    )]
    Conflict {
        /// The command or event (`command x-query-rdma`).
        name: String,
        /// The schema adopted from.
        origin: String,
        /// What stands in the way, as [`wire::diff`] of the old
        /// definition against the adopted one reports it.
        changes: Vec<Change>,
    },
}

/// Whether a change between a definition of an old release (`old`) and
/// the same definition with a newer schema's types (`new`, what bindings
/// send and expect) still lets the bindings work with a server of the
/// old release: what they send must be accepted, and what the server
/// sends must decode.
///
/// ```
/// use qapi_schema_parser::wire::{Change, ChangeKind, Flow};
/// use qapi_schema_parser::adopt::harmless;
/// let change = |kind, flow, optional| Change {
///     item: "command x".into(), path: "returns.m".into(), kind,
///     breaking: false, conditional: false, flow: Some(flow), optional,
/// };
/// // A reply member only the old server sends is kept as unknown.
/// assert!(harmless(&change(ChangeKind::Removed, Flow::FromServer, false)));
/// // A member the bindings require that the old server never sends is not.
/// assert!(!harmless(&change(ChangeKind::Added, Flow::FromServer, false)));
/// ```
pub fn harmless(c: &Change) -> bool {
    use ChangeKind::*;
    let to_server = c.flow == Some(Flow::ToServer);
    match &c.kind {
        // What the bindings have beyond the old definition: harmless when
        // they may leave it out (sending) or do without it (receiving).
        Added => c.optional,
        // What the old server has that the bindings lack: an argument it
        // does not insist on, or a member it sends (kept as unknown).
        Removed => !to_server || c.optional,
        // Required on the bindings' side only: always sent, never missed
        // in a reply... unless the server may leave it out.
        BecameRequired => to_server,
        // Optional on the bindings' side only: fine for what the server
        // sends, not for what it insists on receiving.
        BecameOptional => !to_server,
        // Enums are open both ways.
        ValueAdded(_) | ValueRemoved(_) | FeatureAdded(_) | FeatureRemoved(_) => true,
        // A branch only the bindings know is never sent by the server; a
        // branch only the server knows may be, and would not decode.
        BranchAdded(_) => true,
        BranchRemoved(_) => to_server,
        AllowOob(_) | TypeChanged(..) => false,
    }
}

impl Schema {
    /// Copies the commands and events `names` of `from` (another
    /// release's schema, which `origin` names in messages and in the
    /// copied source files' display names: `"QEMU 9.0.0"`) into this
    /// schema, with the types they use that this schema lacks; see the
    /// [module](crate::adopt) docs. On error, this schema is unchanged.
    ///
    /// ```
    /// use qapi_schema_parser::{Options, parse_str};
    /// let old = parse_str("old.json", r#"
    /// { 'struct': 'Info', 'data': { 'name': 'str' } }
    /// { 'command': 'query-gone', 'returns': 'Info' }
    /// { 'event': 'GONE', 'data': { 'why': 'str' } }
    /// "#, Options::default())?;
    /// let mut new = parse_str("new.json", r#"
    /// { 'struct': 'Info', 'data': { 'name': 'str', '*size': 'int' } }
    /// { 'command': 'query-info', 'returns': 'Info' }
    /// "#, Options::default())?;
    /// let adopted = new.adopt(&old, "the old release", &["query-gone", "GONE"]).expect("adopted");
    /// assert_eq!(adopted.shared_types, ["Info"]);
    /// assert!(new.lookup("q_obj_GONE-arg").is_some());
    /// # Ok::<(), qapi_schema_parser::Errors>(())
    /// ```
    pub fn adopt(
        &mut self,
        from: &Schema,
        origin: &str,
        names: &[&str],
    ) -> Result<Adopted, AdoptError> {
        // Taken in place, and taken back on error: cloning a whole
        // schema for each release adopted from costs more than the rest.
        let before = (
            self.entities.len(),
            self.modules.len(),
            self.sources.files().len(),
        );
        match self.adopt_checked(from, origin, names) {
            Ok(adopted) => Ok(adopted),
            Err(e) => {
                for e in self.entities.drain(before.0..) {
                    self.by_name.remove(&e.name);
                }
                self.modules.truncate(before.1);
                self.sources.truncate(before.2);
                Err(e)
            }
        }
    }

    fn adopt_checked(
        &mut self,
        from: &Schema,
        origin: &str,
        names: &[&str],
    ) -> Result<Adopted, AdoptError> {
        let mut copy = Copier {
            from,
            origin,
            into: self,
            ids: HashMap::new(),
            files: HashMap::new(),
            order: Vec::new(),
            copied_types: Vec::new(),
            shared_types: Vec::new(),
        };
        let mut definitions = Vec::new();
        for &name in names {
            let id = from.id_of(name).ok_or_else(|| AdoptError::NotFound {
                name: name.to_string(),
                origin: origin.to_string(),
            })?;
            if !matches!(
                from.entity(id).kind,
                EntityKind::Command(_) | EntityKind::Event(_)
            ) {
                return Err(AdoptError::NotCommandOrEvent(name.to_string()));
            }
            definitions.push((name.to_string(), copy.resolve(id)?));
        }
        copy.finish();
        let (copied_types, shared_types) = (copy.copied_types, copy.shared_types);
        // The definitions as the old server has them, and as they now read.
        let old = WireSchema::from_schema_only(from, names);
        let new = WireSchema::from_schema_only(self, names);
        let (harmless, conflicts): (Vec<Change>, Vec<Change>) = wire::diff(&old, &new)
            .changes
            .into_iter()
            .partition(harmless);
        if let Some(first) = conflicts.first() {
            let item = first.item.clone();
            return Err(AdoptError::Conflict {
                name: item.clone(),
                origin: origin.to_string(),
                changes: conflicts.into_iter().filter(|c| c.item == item).collect(),
            });
        }
        Ok(Adopted {
            definitions,
            copied_types,
            shared_types,
            harmless,
        })
    }
}

/// One adoption under way: which entity of `from` became which of
/// `into`, which source file which.
struct Copier<'a> {
    from: &'a Schema,
    origin: &'a str,
    into: &'a mut Schema,
    ids: HashMap<EntityId, EntityId>,
    files: HashMap<FileId, FileId>,
    /// The entities of `from` to copy, in the order of their new ids.
    order: Vec<EntityId>,
    copied_types: Vec<String>,
    shared_types: Vec<String>,
}

impl Copier<'_> {
    /// The id in `into` of the entity `id` of `from`: this schema's
    /// entity of the same name for built-ins, arrays and named types it
    /// has, else a new id for a copy (made by [`Copier::finish`]), and
    /// the same for everything the copy refers to.
    fn resolve(&mut self, id: EntityId) -> Result<EntityId, AdoptError> {
        if let Some(&to) = self.ids.get(&id) {
            return Ok(to);
        }
        let e = self.from.entity(id);
        let existing = self.into.by_name.get(&e.name).copied();
        let share = match e.origin {
            Origin::Builtin | Origin::Array => existing,
            Origin::Explicit if e.kind.is_type() => {
                if existing.is_some() {
                    self.shared_types.push(e.name.clone());
                }
                existing
            }
            // The adopted definitions themselves, and what they own.
            _ => {
                if existing.is_some() {
                    return Err(AdoptError::Exists(e.name.clone()));
                }
                None
            }
        };
        if let Some(to) = share {
            self.ids.insert(id, to);
            return Ok(to);
        }
        if e.origin == Origin::Explicit && e.kind.is_type() {
            self.copied_types.push(e.name.clone());
        }
        let to = EntityId((self.into.entities.len() + self.order.len()) as u32);
        self.ids.insert(id, to);
        self.order.push(id);
        let mut kind = e.kind.clone();
        for r in refs_mut(&mut kind) {
            self.resolve(r.id)?;
        }
        if let Origin::CommandArguments(o)
        | Origin::EventData(o)
        | Origin::UnionBase(o)
        | Origin::Implied(o) = e.origin
        {
            self.resolve(o)?;
        }
        Ok(to)
    }

    /// Copies the entities [`Copier::resolve`] assigned new ids, with their
    /// type references, owners, modules and spans rewritten for `into`.
    fn finish(&mut self) {
        for id in std::mem::take(&mut self.order) {
            let mut e: Entity = self.from.entity(id).clone();
            for r in refs_mut(&mut e.kind) {
                r.id = self.ids[&r.id];
            }
            e.origin = match e.origin {
                Origin::CommandArguments(o) => Origin::CommandArguments(self.ids[&o]),
                Origin::EventData(o) => Origin::EventData(self.ids[&o]),
                Origin::UnionBase(o) => Origin::UnionBase(self.ids[&o]),
                Origin::Implied(o) => Origin::Implied(self.ids[&o]),
                o => o,
            };
            e.module = e.module.map(|m| self.module(m));
            spans_mut(&mut e, &mut |s| s.file = self.file(s.file));
            let new_id = EntityId(self.into.entities.len() as u32);
            debug_assert_eq!(Some(&new_id), self.ids.get(&id));
            self.into.by_name.insert(e.name.clone(), new_id);
            self.into.entities.push(e);
        }
    }

    /// The module of `into` named like module `m` of `from` (a new one
    /// for a module this schema no longer has).
    fn module(&mut self, m: ModuleId) -> ModuleId {
        let old = &self.from.modules[m.0 as usize];
        if let Some(i) = self.into.modules.iter().position(|n| n.name == old.name) {
            return ModuleId(i as u32);
        }
        let module = Module {
            name: old.name.clone(),
            file: self.file(old.file),
        };
        self.into.modules.push(module);
        ModuleId(self.into.modules.len() as u32 - 1)
    }

    /// The copy in `into` of source file `f` of `from` (made on first
    /// use, with the files that include it).
    fn file(&mut self, f: FileId) -> FileId {
        if let Some(&to) = self.files.get(&f) {
            return to;
        }
        let old = self.from.sources.file(f);
        let included_from = old.included_from.map(|mut s| {
            s.file = self.file(s.file);
            s
        });
        let copy = SourceFile::new(
            old.path.clone(),
            format!("{} ({})", old.display, self.origin),
            old.text.clone(),
            included_from,
        );
        let to = self.into.sources.add(copy);
        self.files.insert(f, to);
        to
    }
}

/// The type references of a definition.
fn refs_mut(kind: &mut EntityKind) -> Vec<&mut TypeRef> {
    match kind {
        EntityKind::Builtin { .. } | EntityKind::Enum(_) => Vec::new(),
        EntityKind::Struct(s) => s
            .base
            .iter_mut()
            .chain(s.members.iter_mut().map(|m| &mut m.ty))
            .collect(),
        EntityKind::Union(u) => [&mut u.base, &mut u.discriminator_type]
            .into_iter()
            .chain(u.branches.iter_mut().map(|b| &mut b.ty))
            .collect(),
        EntityKind::Alternate(a) => a.branches.iter_mut().map(|b| &mut b.ty).collect(),
        EntityKind::Array(a) => vec![&mut a.element],
        EntityKind::Command(c) => c.arguments.iter_mut().chain(&mut c.returns).collect(),
        EntityKind::Event(e) => e.data.iter_mut().collect(),
    }
}

/// Calls `f` on every span of an entity (its definition, members,
/// values, branches, features, documentation, events-spec entry).
fn spans_mut(e: &mut Entity, f: &mut impl FnMut(&mut Span)) {
    e.span.iter_mut().for_each(&mut *f);
    let features = |fs: &mut Vec<crate::ir::Feature>, f: &mut dyn FnMut(&mut Span)| {
        fs.iter_mut().for_each(|x| f(&mut x.span))
    };
    features(&mut e.features, f);
    if let Some(doc) = &mut e.doc {
        f(&mut doc.span);
        doc.sections.iter_mut().for_each(|s| f(&mut s.span));
    }
    match &mut e.kind {
        EntityKind::Struct(s) => {
            for m in &mut s.members {
                f(&mut m.span);
                features(&mut m.features, f);
            }
        }
        EntityKind::Enum(en) => {
            for v in &mut en.values {
                f(&mut v.span);
                features(&mut v.features, f);
            }
        }
        EntityKind::Union(u) => u.branches.iter_mut().for_each(|b| f(&mut b.span)),
        EntityKind::Alternate(a) => a.branches.iter_mut().for_each(|b| f(&mut b.span)),
        _ => {}
    }
    if let Some(spec) = &mut e.events_spec {
        spec_spans_mut(spec, f);
    }
}

fn spec_spans_mut(spec: &mut SpecEvent, f: &mut impl FnMut(&mut Span)) {
    fn members(ms: &mut [SpecMember], f: &mut impl FnMut(&mut Span)) {
        for m in ms {
            f(&mut m.span);
            m.json_type_span.iter_mut().for_each(&mut *f);
            members(&mut m.members, f);
        }
    }
    f(&mut spec.span);
    spec.description_spans.iter_mut().for_each(&mut *f);
    spec.data_none.iter_mut().for_each(&mut *f);
    members(&mut spec.members, f);
    spec.notes.iter_mut().for_each(|n| f(&mut n.span));
    for ex in &mut spec.examples {
        f(&mut ex.span);
        // The example's parse tree served the cross-check against the
        // schema it came with; its spans point into that schema's files.
        ex.tree = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Options, parse_str};

    fn schema(name: &str, text: &str) -> Schema {
        parse_str(name, text, Options::default()).expect("a valid schema")
    }

    const OLD: &str = r#"
{ 'enum': 'Kind', 'data': [ 'a', 'b' ] }
{ 'struct': 'Info', 'data': { 'name': 'str', 'kind': 'Kind' } }
{ 'struct': 'Gone', 'data': { 'size': 'int' } }
##
# @query-gone:
#
# Gone since.
#
# @which: Which one.
##
{ 'command': 'query-gone', 'data': { 'which': 'str' }, 'returns': ['Info'] }
{ 'command': 'query-both', 'returns': 'Gone' }
{ 'event': 'GONE', 'data': { 'why': 'str', 'info': 'Info' } }
"#;

    #[test]
    fn copies_what_only_the_definitions_use_and_shares_the_rest() {
        let old = schema("old.json", OLD);
        let mut new = schema(
            "new.json",
            r#"
{ 'enum': 'Kind', 'data': [ 'a', 'b', 'c' ] }
{ 'struct': 'Info', 'data': { 'name': 'str', 'kind': 'Kind', '*more': 'int' } }
{ 'command': 'query-info', 'returns': 'Info' }
"#,
        );
        let before = new.entities.len();
        let a = new
            .adopt(&old, "QEMU 1.0", &["query-gone", "query-both", "GONE"])
            .expect("adopted");
        assert_eq!(a.shared_types, ["Info"]);
        assert_eq!(a.copied_types, ["Gone"]);
        // The two commands, the arguments of one, the array of Info (which
        // the new schema did not have), Gone, the event and its data.
        assert_eq!(new.entities.len(), before + 7);
        let gone = new.lookup("query-gone").expect("the command");
        let EntityKind::Command(c) = &gone.kind else {
            panic!("not a command")
        };
        let ret = c.returns.as_ref().expect("returns");
        let EntityKind::Array(arr) = &new.entity(ret.id).kind else {
            panic!("not an array")
        };
        assert_eq!(arr.element.id, new.id_of("Info").expect("Info"));
        let args = c.arguments.as_ref().expect("arguments");
        let owner = new.id_of("query-gone").expect("id");
        assert_eq!(new.entity(args.id).origin, Origin::CommandArguments(owner));
        // Spans and docs point into a copy of the old file.
        let span = gone.span.expect("a span");
        assert!(
            new.sources
                .location(span)
                .starts_with("old.json (QEMU 1.0):")
        );
        assert!(new.sources.text(span).contains("query-gone"));
        assert_eq!(
            gone.doc.as_ref().and_then(|d| d.symbol.as_deref()),
            Some("query-gone")
        );
        // Only harmless differences: an optional reply member and an
        // enum value the old release lacks.
        assert!(a.harmless.iter().any(|c| c.kind == ChangeKind::Added));
        assert!(
            a.harmless
                .iter()
                .any(|c| c.kind == ChangeKind::ValueAdded("c".into()))
        );
    }

    #[test]
    fn a_shared_type_the_old_messages_do_not_decode_into_is_a_conflict() {
        let old = schema("old.json", OLD);
        let mut new = schema(
            "new.json",
            r#"
{ 'struct': 'Info', 'data': { 'name': 'int', 'kind': 'str', 'extra': 'str' } }
{ 'command': 'query-info', 'returns': 'Info' }
"#,
        );
        let before = new.entities.len();
        let err = new
            .adopt(&old, "QEMU 1.0", &["query-gone"])
            .expect_err("a conflict");
        let AdoptError::Conflict { name, changes, .. } = &err else {
            panic!("{err}")
        };
        assert_eq!(name, "command query-gone");
        let text = err.to_string();
        assert!(text.contains("returns[].name: type changed"), "{text}");
        assert!(text.contains("returns[].extra: added"), "{text}");
        assert_eq!(changes.len(), 3, "{text}");
        assert_eq!(new.entities.len(), before, "unchanged on error");
        assert!(
            new.lookup("query-gone").is_none(),
            "{:?}",
            new.lookup("query-gone")
        );
        assert_eq!(new.sources.files().len(), 1);
    }

    #[test]
    fn refuses_what_is_not_there_or_already_here() {
        let old = schema("old.json", OLD);
        let mut new = schema("new.json", "{ 'command': 'query-gone' }");
        assert!(matches!(
            new.adopt(&old, "QEMU 1.0", &["query-gone"]),
            Err(AdoptError::Exists(_))
        ));
        assert!(matches!(
            new.adopt(&old, "QEMU 1.0", &["query-never"]),
            Err(AdoptError::NotFound { .. })
        ));
        assert!(matches!(
            new.adopt(&old, "QEMU 1.0", &["Info"]),
            Err(AdoptError::NotCommandOrEvent(_))
        ));
    }
}
