//! From the checked IR to Rust tokens.
//!
//! [`Gen`] holds what every construct needs (Rust names, which members
//! must be boxed, how to spell a type); one module per construct emits
//! it: [`enums`], [`structs`], [`unions`], [`alternates`], [`commands`],
//! [`events`]; [`modules`] lays the items out in files.

pub(crate) mod alternates;
pub(crate) mod built;
pub(crate) mod commands;
pub(crate) mod enums;
pub(crate) mod events;
pub(crate) mod modules;
pub(crate) mod structs;
pub(crate) mod unions;
pub(crate) mod verbatim;

use crate::Config;
use crate::Error;
use crate::docs;
use crate::names;
use proc_macro2::{Ident, Span, TokenStream};
use qapi_schema_parser::{Builtin, Entity, EntityId, EntityKind, Feature, Origin, Schema, TypeRef};
use quote::quote;
use std::collections::{BTreeMap, HashMap, HashSet};

/// Where code is emitted, which decides how schema types are spelled:
/// types are re-exported by the generated root module; module files are
/// its children and their `cmd` and `event` modules its grandchildren.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scope {
    /// A QAPI module's file.
    Module,
    /// A `cmd` or `event` module inside it.
    Inner,
}

/// An identifier token (raw identifiers included).
pub(crate) fn ident(s: &str) -> Ident {
    match s.strip_prefix("r#") {
        Some(raw) => Ident::new_raw(raw, Span::call_site()),
        None => Ident::new(s, Span::call_site()),
    }
}

/// What the generator keeps aside under a numbered placeholder, to put
/// back after parsing (`built`) or after formatting (`verbatim`).
pub(crate) struct Slots<T> {
    kept: std::cell::RefCell<HashMap<usize, T>>,
    next: std::cell::Cell<usize>,
}

impl<T> Default for Slots<T> {
    fn default() -> Self {
        Slots {
            kept: Default::default(),
            next: Default::default(),
        }
    }
}

impl<T> Slots<T> {
    /// Keeps `value`; returns its number.
    pub(crate) fn add(&self, value: T) -> usize {
        let n = self.next.get();
        self.next.set(n + 1);
        self.kept.borrow_mut().insert(n, value);
        n
    }

    /// Takes back what placeholder `name` stands for, if it is one:
    /// `prefix` followed by a number kept here.
    pub(crate) fn take(&self, prefix: &str, name: &str) -> Option<T> {
        let n = name.strip_prefix(prefix)?.parse::<usize>().ok()?;
        self.kept.borrow_mut().remove(&n)
    }
}

/// The generation context.
pub(crate) struct Gen<'s> {
    pub(crate) schema: &'s Schema,
    pub(crate) cfg: &'s Config,
    /// Rust names of the types that are generated, by entity.
    type_names: HashMap<EntityId, String>,
    /// QAPI types mapped onto existing Rust paths by the user.
    mapped: HashMap<EntityId, TokenStream>,
    /// (container, contained) pairs that must be boxed: the contained
    /// type holds the container by value again (recursion).
    boxed: HashSet<(EntityId, EntityId)>,
    /// The path of the runtime crate (`::qmp_types`).
    pub(crate) rt: TokenStream,
    /// Extra derives for every generated type.
    pub(crate) derives: Vec<TokenStream>,
    /// Doc comments and macro bodies, laid out after formatting.
    pub(crate) verbatim: verbatim::Verbatim,
    /// Struct definitions built as syn trees, put in after parsing.
    pub(crate) built: built::Built,
}

impl<'s> Gen<'s> {
    pub(crate) fn new(schema: &'s Schema, cfg: &'s Config) -> Result<Self, Error> {
        let rt: TokenStream = cfg
            .runtime
            .parse()
            .map_err(|_| Error::Config(format!("'{}' is not a Rust path", cfg.runtime)))?;
        let mut mapped = HashMap::new();
        for (qapi, path) in &cfg.type_map {
            let id = schema.id_of(qapi).ok_or_else(|| {
                Error::Config(format!("map_type: the schema has no type '{qapi}'"))
            })?;
            let tokens: TokenStream = path
                .parse()
                .map_err(|_| Error::Config(format!("map_type: '{path}' is not a Rust path")))?;
            mapped.insert(id, tokens);
        }
        let derives = cfg
            .derives
            .iter()
            .map(|d| {
                d.parse::<TokenStream>()
                    .map_err(|_| Error::Config(format!("'{d}' is not a derive path")))
            })
            .collect::<Result<_, _>>()?;
        let mut g = Gen {
            schema,
            cfg,
            type_names: HashMap::new(),
            mapped,
            boxed: HashSet::new(),
            rt,
            derives,
            verbatim: verbatim::Verbatim::default(),
            built: built::Built::default(),
        };
        g.name_types()?;
        g.find_recursion();
        Ok(g)
    }

    /// Whether the entity is a type this generator emits.
    pub(crate) fn is_generated_type(&self, id: EntityId) -> bool {
        self.type_names.contains_key(&id) && !self.mapped.contains_key(&id)
    }

    /// The Rust name of a generated type.
    pub(crate) fn type_name(&self, id: EntityId) -> &str {
        self.type_names.get(&id).map_or("", String::as_str)
    }

    /// Gives every explicit type its Rust name, checking that no two
    /// clash (in the root namespace, with the names the generator adds).
    fn name_types(&mut self) -> Result<(), Error> {
        let mut taken: BTreeMap<String, String> = BTreeMap::new();
        for reserved in [
            "Events",
            "COMMANDS",
            "EVENTS",
            "cmd",
            "event",
            "command_by_name",
            "event_by_name",
        ] {
            taken.insert(
                reserved.to_string(),
                "a name the generator uses".to_string(),
            );
        }
        for reserved in &self.cfg.reserved {
            taken.insert(reserved.clone(), format!("the reserved name `{reserved}`"));
        }
        let mut claim = |rust: String, what: String| -> Result<String, Error> {
            if let Some(prev) = taken.get(&rust) {
                return Err(Error::Clash(format!(
                    "{what} and {prev} would both be named `{rust}` in Rust"
                )));
            }
            taken.insert(rust.clone(), what);
            Ok(rust)
        };
        for (id, e) in self.schema.iter() {
            let wanted = match (&e.kind, e.origin) {
                (
                    EntityKind::Enum(_)
                    | EntityKind::Struct(_)
                    | EntityKind::Union(_)
                    | EntityKind::Alternate(_),
                    Origin::Explicit | Origin::Implied(_),
                ) => true,
                // QEMU's predefined enum, when the schema uses it.
                (EntityKind::Enum(_), Origin::Builtin) => e.name == "QType" && self.is_used(id),
                _ => false,
            };
            if !wanted {
                continue;
            }
            let rust = claim(
                names::type_name(&e.name),
                format!("{} '{}'", e.kind.meta(), e.name),
            )?;
            if let EntityKind::Union(_) = e.kind {
                claim(
                    format!("{rust}Branch"),
                    format!("the branches of union '{}'", e.name),
                )?;
            }
            self.type_names.insert(id, rust);
        }
        // Commands and events each have their own module.
        for (meta, module) in [("command", "cmd"), ("event", "event")] {
            let mut taken: BTreeMap<String, String> = BTreeMap::new();
            for (_, e) in self
                .schema
                .definitions()
                .filter(|(_, e)| e.kind.meta() == meta)
            {
                let rust = names::camel(&e.name);
                if let Some(prev) = taken.insert(rust.clone(), e.name.clone()) {
                    return Err(Error::Clash(format!(
                        "{meta}s '{prev}' and '{}' would both be named `{module}::{rust}` in Rust",
                        e.name
                    )));
                }
            }
        }
        Ok(())
    }

    fn is_used(&self, id: EntityId) -> bool {
        self.schema.iter().any(|(_, e)| {
            self.value_refs(e).iter().any(|r| r.id == id) || self.array_of(e) == Some(id)
        })
    }

    fn array_of(&self, e: &Entity) -> Option<EntityId> {
        match &e.kind {
            EntityKind::Array(a) => Some(a.element.id),
            _ => None,
        }
    }

    /// Every type an entity refers to (members, bases, branches,
    /// arguments, returns).
    fn value_refs<'e>(&self, e: &'e Entity) -> Vec<&'e TypeRef> {
        match &e.kind {
            EntityKind::Struct(s) => s
                .members
                .iter()
                .map(|m| &m.ty)
                .chain(s.base.iter())
                .collect(),
            EntityKind::Union(u) => u
                .branches
                .iter()
                .map(|b| &b.ty)
                .chain([&u.base, &u.discriminator_type])
                .collect(),
            EntityKind::Alternate(a) => a.branches.iter().map(|b| &b.ty).collect(),
            EntityKind::Command(c) => c.arguments.iter().chain(c.returns.iter()).collect(),
            EntityKind::Event(ev) => ev.data.iter().collect(),
            _ => Vec::new(),
        }
    }

    /// The types a type contains by value (not through an array): what
    /// would make a Rust type infinitely large if it led back.
    fn contained(&self, id: EntityId) -> Vec<EntityId> {
        let e = self.schema.entity(id);
        let by_value = |t: &TypeRef| !matches!(self.schema.entity(t.id).kind, EntityKind::Array(_));
        match &e.kind {
            EntityKind::Struct(_) => self
                .schema
                .all_members(id)
                .iter()
                .map(|m| &m.ty)
                .filter(|t| by_value(t))
                .map(|t| t.id)
                .collect(),
            EntityKind::Union(u) => self
                .schema
                .all_members(id)
                .iter()
                .map(|m| &m.ty)
                .chain(u.branches.iter().map(|b| &b.ty))
                .filter(|t| by_value(t))
                .map(|t| t.id)
                .collect(),
            EntityKind::Alternate(a) => a
                .branches
                .iter()
                .map(|b| &b.ty)
                .filter(|t| by_value(t))
                .map(|t| t.id)
                .collect(),
            _ => Vec::new(),
        }
    }

    /// Finds the by-value references that lead back to where they start.
    fn find_recursion(&mut self) {
        let ids: Vec<EntityId> = self
            .schema
            .iter()
            .filter(|(_, e)| e.kind.is_type())
            .map(|(id, _)| id)
            .collect();
        let edges: HashMap<EntityId, Vec<EntityId>> =
            ids.iter().map(|&id| (id, self.contained(id))).collect();
        for (&from, tos) in &edges {
            for &to in tos {
                // Does `to` reach `from` by value?
                let mut seen = HashSet::new();
                let mut stack = vec![to];
                while let Some(n) = stack.pop() {
                    if n == from {
                        self.boxed.insert((from, to));
                        break;
                    }
                    if seen.insert(n) {
                        stack.extend(edges.get(&n).into_iter().flatten().copied());
                    }
                }
            }
        }
    }

    /// Whether `container` must box its `contained` member or branch.
    pub(crate) fn needs_box(&self, container: EntityId, contained: EntityId) -> bool {
        self.boxed.contains(&(container, contained))
    }

    /// The Rust type for a schema type, as seen from `scope`.
    pub(crate) fn rust_type(&self, t: &TypeRef, scope: Scope) -> TokenStream {
        if let Some(path) = self.mapped.get(&t.id) {
            return path.clone();
        }
        let e = self.schema.entity(t.id);
        match &e.kind {
            EntityKind::Builtin { builtin } => builtin_type(*builtin, &self.rt),
            EntityKind::Array(a) => {
                let inner = self.rust_type(&a.element, scope);
                quote!(::std::vec::Vec<#inner>)
            }
            EntityKind::Struct(_) if e.name == "q_empty" => {
                let rt = &self.rt;
                quote!(#rt::Empty)
            }
            _ => {
                let name = ident(self.type_name(t.id));
                match scope {
                    Scope::Module => quote!(super::#name),
                    Scope::Inner => quote!(super::super::#name),
                }
            }
        }
    }

    /// `t` in Markdown, linked (from an item in `scope`): "[`BlockInfo`](...)",
    /// "a [`Vec`] of ...", "`String`".
    pub(crate) fn type_link(&self, t: &TypeRef, scope: Scope) -> String {
        if let Some(path) = self.mapped.get(&t.id) {
            return format!("`{path}`").replace(' ', "");
        }
        let e = self.schema.entity(t.id);
        match &e.kind {
            EntityKind::Builtin { builtin } => {
                let text = builtin_type(*builtin, &self.rt)
                    .to_string()
                    .replace(' ', "");
                let short = text.rsplit("::").next().unwrap_or(&text).to_string();
                format!("`{short}`")
            }
            EntityKind::Array(a) => format!("a [`Vec`] of {}", self.type_link(&a.element, scope)),
            EntityKind::Struct(_) if e.name == "q_empty" => "nothing".to_string(),
            _ => {
                let name = self.type_name(t.id);
                let up = match scope {
                    Scope::Module => "super",
                    Scope::Inner => "super::super",
                };
                format!("[`{name}`]({up}::{name})")
            }
        }
    }

    /// The type of a member or branch of `container`, boxed if needed.
    pub(crate) fn member_type(
        &self,
        container: EntityId,
        t: &TypeRef,
        scope: Scope,
    ) -> TokenStream {
        let ty = self.rust_type(t, scope);
        if self.needs_box(container, t.id) {
            quote!(::std::boxed::Box<#ty>)
        } else {
            ty
        }
    }

    /// `#[doc = ...]` attributes for a definition: its documentation, then
    /// what the schema says about it beyond the text.
    pub(crate) fn item_doc(&self, e: &Entity, fallback: &str) -> TokenStream {
        self.item_doc_led(e, fallback, None)
    }

    /// [`Gen::item_doc`] for the type `id`, with its wire name as a search
    /// alias when the Rust name differs (`SGXInfo` is `SgxInfo`).
    pub(crate) fn type_doc(&self, id: EntityId, fallback: &str) -> TokenStream {
        let e = self.schema.entity(id);
        let doc = self.item_doc(e, fallback);
        let alias = alias(&e.name, self.type_name(id));
        quote!(#doc #alias)
    }

    /// [`Gen::item_doc`], starting with the paragraph `lead` (a command's
    /// arguments and return type).
    pub(crate) fn item_doc_led(
        &self,
        e: &Entity,
        fallback: &str,
        lead: Option<&str>,
    ) -> TokenStream {
        let mut text = String::new();
        if let Some(lead) = lead {
            push_para(&mut text, lead);
        }
        if let Some((last, removed)) = self.cfg.removed.get(&e.name) {
            let answer = match e.kind {
                EntityKind::Command(_) => " (they answer `CommandNotFound`)",
                _ => "",
            };
            push_para(
                &mut text,
                &format!(
                    "**Removed in QEMU {removed}:** servers of {removed} and later do not have it{answer}. \
                     This is the definition of QEMU {last}, the last release that has it, \
                     for the servers up to {last}."
                ),
            );
        }
        if let Some(doc) = &e.doc {
            use qapi_schema_parser::doc::SectionKind;
            for s in &doc.sections {
                let md = docs::markdown(&s.text);
                match s.kind {
                    SectionKind::Plain => push_para(&mut text, &md),
                    SectionKind::Returns => push_para(&mut text, &format!("**Returns:** {md}")),
                    SectionKind::Errors => push_para(&mut text, &format!("**Errors:**\n\n{md}")),
                    SectionKind::Note => push_para(&mut text, &format!("**Note:** {md}")),
                    SectionKind::Example => push_para(
                        &mut text,
                        &format!("**Example:**\n\n```text\n{}\n```", s.text),
                    ),
                    // Member and feature texts go on the fields and below;
                    // TODO sections are for QEMU's developers.
                    SectionKind::Member
                    | SectionKind::Feature
                    | SectionKind::Todo
                    | SectionKind::Since => {}
                }
            }
        }
        if let Some(spec) = &e.events_spec {
            // The legacy events spec is plain text, not rST.
            if !spec.description.is_empty() {
                push_para(
                    &mut text,
                    &format!("From the events spec: {}", docs::plain(&spec.description)),
                );
            }
            for note in &spec.notes {
                push_para(&mut text, &format!("**Note:** {}", docs::plain(&note.text)));
            }
            for ex in &spec.examples {
                push_para(
                    &mut text,
                    &format!("**Example** (events spec):\n\n```text\n{}\n```", ex.text),
                );
            }
        }
        if text.trim().is_empty() {
            push_para(&mut text, fallback);
        }
        push_para(&mut text, &format!("QAPI {} `{}`.", e.kind.meta(), e.name));
        self.notes(&mut text, e.cond.as_ref(), &e.features);
        let doc_since = e.doc.as_ref().and_then(|d| d.since()).map(str::trim);
        match (self.cfg.item_releases.get(&e.name), doc_since) {
            // The history is right where the docs are often missing or
            // wrong; a doc that says otherwise is kept and named.
            // A type's name is not on the wire: a later first sighting
            // is a rename, and the doc's release stands.
            (Some(first), Some(said)) if !said.starts_with(first.as_str()) && e.kind.is_type() => {
                push_para(
                    &mut text,
                    &format!(
                        "Since: {} (under this name since QEMU {first}, from the release history)",
                        docs::inline(said)
                    ),
                )
            }
            (Some(first), Some(said)) if !said.starts_with(first.as_str()) => push_para(
                &mut text,
                &format!(
                    "Since QEMU {first} (from the release history; the documentation says Since: {})",
                    docs::inline(said)
                ),
            ),
            (Some(first), _) => push_para(
                &mut text,
                &format!("Since QEMU {first} (from the release history)."),
            ),
            (None, Some(said)) => push_para(&mut text, &format!("Since: {}", docs::inline(said))),
            (None, None) => {}
        }
        self.verbatim.doc(&text)
    }

    /// Availability and features, as paragraphs.
    pub(crate) fn notes(
        &self,
        text: &mut String,
        cond: Option<&qapi_schema_parser::Cond>,
        features: &[Feature],
    ) {
        if let Some(c) = cond {
            push_para(
                text,
                &format!("**Availability:** only when QEMU is built with `{c}`."),
            );
        }
        if features.iter().any(|f| f.name == "unstable") {
            push_para(
                text,
                "**Unstable:** QEMU does not promise to keep this interface (feature `unstable`).",
            );
        }
        let others: Vec<String> = features
            .iter()
            .filter(|f| f.name != "unstable")
            .map(|f| {
                let d = f.doc.as_deref().map(docs::markdown).unwrap_or_default();
                let d = d.replace('\n', " ");
                if d.is_empty() {
                    format!("- `{}`", f.name)
                } else {
                    format!("- `{}`: {d}", f.name)
                }
            })
            .collect();
        if !others.is_empty() {
            push_para(text, &format!("**Features:**\n\n{}", others.join("\n")));
        }
    }

    /// `#[deprecated]` for a command or event that QEMU removed
    /// ([`Config::removed_in`]), else as [`Gen::deprecated`].
    pub(crate) fn deprecated_item(&self, e: &Entity) -> TokenStream {
        match self.cfg.removed.get(&e.name) {
            Some((last, removed)) => {
                let note =
                    format!("removed in QEMU {removed} (the last release that has it is {last})");
                quote!(#[deprecated(note = #note)])
            }
            None => self.deprecated(&e.features),
        }
    }

    /// `#[deprecated]` when the item has the `deprecated` feature.
    pub(crate) fn deprecated(&self, features: &[Feature]) -> TokenStream {
        match features.iter().find(|f| f.name == "deprecated") {
            Some(f) => {
                let note = f
                    .doc
                    .as_deref()
                    .map(|d| d.split_whitespace().collect::<Vec<_>>().join(" "));
                let note = note
                    .filter(|n| !n.is_empty())
                    .unwrap_or_else(|| "deprecated by QEMU".into());
                quote!(#[deprecated(note = #note)])
            }
            None => quote!(),
        }
    }

    /// The extra derives the user asked for.
    pub(crate) fn extra_derives(&self) -> TokenStream {
        if self.derives.is_empty() {
            return quote!();
        }
        let d = &self.derives;
        quote!(#[derive(#(#d),*)])
    }
}

pub(crate) fn builtin_type(b: Builtin, rt: &TokenStream) -> TokenStream {
    match b {
        Builtin::Str => quote!(::std::string::String),
        Builtin::Number => quote!(f64),
        Builtin::Int | Builtin::Int64 => quote!(i64),
        Builtin::Int8 => quote!(i8),
        Builtin::Int16 => quote!(i16),
        Builtin::Int32 => quote!(i32),
        Builtin::Uint8 => quote!(u8),
        Builtin::Uint16 => quote!(u16),
        Builtin::Uint32 => quote!(u32),
        Builtin::Uint64 | Builtin::Size => quote!(u64),
        Builtin::Bool => quote!(bool),
        Builtin::Any => quote!(#rt::serde_json::Value),
        Builtin::Null => quote!(()),
    }
}

/// `#[doc(alias = "wire")]` when the wire name differs from the Rust
/// name, so that rustdoc's search finds an item, field or variant by the
/// name QEMU's documentation uses (`blockdev-add`, `BLOCK_JOB_READY`).
pub(crate) fn alias(wire: &str, rust: &str) -> TokenStream {
    let rust = rust.strip_prefix("r#").unwrap_or(rust);
    if wire == rust {
        quote!()
    } else {
        quote!(#[doc(alias = #wire)])
    }
}

pub(crate) fn push_para(text: &mut String, para: &str) {
    let para = para.trim();
    if para.is_empty() {
        return;
    }
    if !text.is_empty() {
        text.push_str("\n\n");
    }
    text.push_str(para);
}

/// What the documentation of a member, an enum value or an alternate's
/// branch is made of: its description (or a sentence naming it), its
/// availability and its features.
pub(crate) struct Role<'a> {
    /// `member`, `value` or `branch`.
    pub role: &'a str,
    pub name: &'a str,
    pub doc: Option<&'a str>,
    pub cond: Option<&'a qapi_schema_parser::Cond>,
    pub features: &'a [Feature],
    /// The QEMU release that first had it, from the release history.
    pub since: Option<&'a str>,
}

impl<'a> Role<'a> {
    /// A member's.
    pub(crate) fn member(m: &'a qapi_schema_parser::Member) -> Self {
        Role {
            role: "member",
            name: &m.name,
            doc: m.doc.as_deref(),
            cond: m.cond.as_ref(),
            features: &m.features,
            since: None,
        }
    }

    /// With the release that first had it (from the release history).
    pub(crate) fn since(mut self, release: Option<&'a str>) -> Self {
        self.since = release;
        self
    }

    /// The Markdown.
    fn text(&self, g: &Gen<'_>) -> String {
        let mut text = String::new();
        match self.doc {
            Some(d) if !d.trim().is_empty() => push_para(&mut text, &docs::markdown(d)),
            _ => push_para(&mut text, &format!("The `{}` {}.", self.name, self.role)),
        }
        g.notes(&mut text, self.cond, self.features);
        if let Some(r) = self.since {
            push_para(
                &mut text,
                &format!("Since QEMU {r} (from the release history)."),
            );
        }
        text
    }

    /// As a `#[doc]` attribute (a placeholder, see `verbatim`).
    pub(crate) fn doc(&self, g: &Gen<'_>) -> TokenStream {
        g.verbatim.doc(&self.text(g))
    }

    /// The doc attribute and `#[deprecated]` as syn attributes, for
    /// definitions built as syn trees.
    pub(crate) fn attrs(&self, g: &Gen<'_>) -> Result<Vec<syn::Attribute>, Error> {
        let mut attrs: Vec<syn::Attribute> =
            g.verbatim.doc_attr(&self.text(g)).into_iter().collect();
        let dep = g.deprecated(self.features);
        if !dep.is_empty() {
            attrs.extend(built::attrs(dep)?);
        }
        Ok(attrs)
    }
}

/// `const FIRST_RELEASE` for the command or event `name`, when the
/// release history says it came after the oldest release the bindings
/// read, and `const LAST_RELEASE` when QEMU removed it (nothing
/// otherwise: the trait's defaults, `None`).
pub(crate) fn releases(g: &Gen<'_>, name: &str) -> TokenStream {
    let first = g.cfg.item_releases.get(name).map(|r| {
        quote!(const FIRST_RELEASE: ::std::option::Option<&'static str> = ::std::option::Option::Some(#r);)
    });
    let last = g.cfg.removed.get(name).map(|(r, _)| {
        quote!(const LAST_RELEASE: ::std::option::Option<&'static str> = ::std::option::Option::Some(#r);)
    });
    quote!(#first #last)
}
