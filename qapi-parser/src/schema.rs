//! From checked definitions to the IR: define, resolve, check.
//!
//! 1. **Define**: built-in types first, then each definition preceded by
//!    the implicit types it needs (arrays, inline arguments, inline union
//!    bases), all in one namespace; a name defined twice is an error.
//! 2. **Resolve**: every type reference becomes an [`EntityId`].
//! 3. **Check**: what needs more than one definition: base and branch
//!    kinds, self-containment, member clashes (after C name mapping),
//!    discriminators, alternate ambiguity, command arguments and return
//!    types, special features, documentation of every member and feature.
//!    The checks themselves live in [`crate::check`], a module per family
//!    of rules; this module runs them in order.
//!
//! Errors of one definition do not stop the checks of the others.

use crate::check::suggest;
use crate::diag::Diagnostic;
use crate::expr::{Data, Def, DefKind, MemberDef, TypeName};
use crate::ir::*;
use crate::loader::Loaded;
use crate::profile::Profile;
use crate::source::Span;
use std::collections::HashMap;

/// What an entity slot will be built from.
#[derive(Clone)]
pub(crate) enum Plan {
    Builtin(Box<Entity>),
    /// `[element]`, first used at `span` by definition `def`.
    Array {
        element: String,
        span: Span,
    },
    Def(usize),
    /// Inline `data` (command arguments or event data) of definition `n`.
    Args(usize),
    /// Inline `base` of union `n`.
    Base(usize),
}

pub(crate) struct Builder<'a> {
    pub(crate) defs: &'a [Def],
    /// The definitions' documentation, moved into the entities as they
    /// are built (docs are most of a schema's text: never copy them).
    pub(crate) docs: Vec<Option<crate::doc::Doc>>,
    pub(crate) plans: Vec<Plan>,
    pub(crate) names: Vec<String>,
    pub(crate) by_name: HashMap<String, EntityId>,
    /// Entity of each definition (for free-form doc placement).
    pub(crate) def_entity: Vec<Option<EntityId>>,
    pub(crate) diags: Vec<Diagnostic>,
    pub(crate) pragma: &'a Pragma,
    /// The rules of the schema's release.
    pub(crate) profile: Profile,
    /// Notes about legacy constructs accepted.
    pub(crate) notes: Vec<Diagnostic>,
    /// The entity being resolved, and the entities with a reference that
    /// did not resolve: their checks are skipped (the placeholder type
    /// would only produce echoes of the first error).
    pub(crate) resolving: usize,
    pub(crate) tainted: std::collections::HashSet<usize>,
    /// The module of each file, by file id.
    pub(crate) module_of_file: &'a [ModuleId],
}

pub(crate) fn build(
    loaded: Loaded,
    mut defs: Vec<Def>,
    profile: Profile,
) -> Result<Schema, (Vec<Diagnostic>, Box<Loaded>)> {
    let docs = defs.iter_mut().map(|d| d.doc.take()).collect();
    let mut b = Builder {
        defs: &defs,
        docs,
        plans: Vec::new(),
        names: Vec::new(),
        by_name: HashMap::new(),
        def_entity: vec![None; defs.len()],
        diags: Vec::new(),
        pragma: &loaded.pragma,
        profile,
        notes: Vec::new(),
        resolving: 0,
        tainted: Default::default(),
        module_of_file: &loaded.module_of_file,
    };
    b.predefine();
    for i in 0..defs.len() {
        b.define(i);
    }
    if !b.diags.is_empty() {
        return Err((b.diags, Box::new(loaded)));
    }
    let mut entities = b.resolve_all();
    b.check_all(&mut entities);
    if !b.diags.is_empty() {
        return Err((b.diags, Box::new(loaded)));
    }
    let free_docs = loaded
        .free_docs
        .into_iter()
        .map(|f| FreeDoc {
            module: b.module_of_file[f.file.0 as usize],
            before: b.def_entity.get(f.before_expr).copied().flatten(),
            doc: f.doc,
        })
        .collect();
    let by_name = std::mem::take(&mut b.by_name);
    let notes = std::mem::take(&mut b.notes);
    Ok(Schema {
        sources: loaded.sources,
        modules: loaded.modules,
        entities,
        free_docs,
        pragma: loaded.pragma,
        diagnostics: loaded.diags.into_iter().chain(notes).collect(),
        by_name,
    })
}

fn builtin_entity(name: &str, kind: EntityKind) -> Entity {
    Entity {
        name: name.to_string(),
        kind,
        origin: Origin::Builtin,
        module: None,
        span: None,
        cond: None,
        features: Vec::new(),
        doc: None,
        events_spec: None,
    }
}

impl Builder<'_> {
    fn add(&mut self, name: String, plan: Plan) -> EntityId {
        let id = EntityId(self.plans.len() as u32);
        self.by_name.insert(name.clone(), id);
        self.names.push(name);
        self.plans.push(plan);
        id
    }

    fn predefine(&mut self) {
        let builtin = |name: &str, kind| Plan::Builtin(Box::new(builtin_entity(name, kind)));
        for b in Builtin::ALL {
            self.add(
                b.name().into(),
                builtin(b.name(), EntityKind::Builtin { builtin: b }),
            );
        }
        for b in Builtin::ALL {
            let element = TypeRef {
                id: self.by_name[b.name()],
                name: b.name().into(),
            };
            let name = format!("{}List", b.name());
            let plan = builtin(&name, EntityKind::Array(ArrayType { element }));
            self.add(name, plan);
        }
        let values = [
            "none", "qnull", "qnum", "qstring", "qdict", "qlist", "qbool",
        ];
        let zero = Span {
            file: crate::source::FileId(0),
            start: 0,
            end: 0,
            line: 0,
            col: 0,
        };
        let qtype = EnumType {
            values: values
                .iter()
                .map(|v| EnumValue {
                    name: (*v).into(),
                    cond: None,
                    features: Vec::new(),
                    span: zero,
                    doc: None,
                })
                .collect(),
            prefix: Some("QTYPE".into()),
        };
        self.add("QType".into(), builtin("QType", EntityKind::Enum(qtype)));
        let empty = StructType {
            base: None,
            members: Vec::new(),
        };
        self.add(
            "q_empty".into(),
            builtin("q_empty", EntityKind::Struct(empty)),
        );
    }

    fn ensure_array(&mut self, t: &TypeName) {
        if t.array {
            let name = format!("{}List", t.name);
            if !self.by_name.contains_key(&name) {
                self.add(
                    name,
                    Plan::Array {
                        element: t.name.clone(),
                        span: t.span,
                    },
                );
            }
        }
    }

    fn ensure_member_arrays(&mut self, members: &[MemberDef]) {
        for m in members {
            self.ensure_array(&m.ty);
        }
    }

    fn define(&mut self, i: usize) {
        let defs = self.defs;
        let def = &defs[i];
        match &def.kind {
            DefKind::Struct { members, .. } => self.ensure_member_arrays(members),
            DefKind::Union {
                base: Data::Inline(members, _),
                ..
            } => {
                self.ensure_member_arrays(members);
                if !members.is_empty() {
                    self.add(format!("q_obj_{}-base", def.name), Plan::Base(i));
                }
            }
            DefKind::Alternate { branches } => {
                for b in branches {
                    self.ensure_array(&b.ty);
                }
            }
            DefKind::Command { data, returns, .. } => {
                if let Some(Data::Inline(members, _)) = data {
                    self.ensure_member_arrays(members);
                    if !members.is_empty() {
                        self.add(format!("q_obj_{}-arg", def.name), Plan::Args(i));
                    }
                }
                if let Some(r) = returns {
                    self.ensure_array(r);
                }
            }
            DefKind::Event {
                data: Some(Data::Inline(members, _)),
                ..
            } => {
                self.ensure_member_arrays(members);
                if !members.is_empty() {
                    self.add(format!("q_obj_{}-arg", def.name), Plan::Args(i));
                }
            }
            _ => {}
        }
        if let Some(&prev) = self.by_name.get(&def.name) {
            let d = match &self.plans[prev.0 as usize] {
                Plan::Def(p) => {
                    Diagnostic::error(def.name_span, format!("'{}' is already defined", def.name))
                        .with_label(format!("{} defined again", def.meta))
                        .with_related(
                            defs[*p].name_span,
                            format!("first defined here, as a {}", defs[*p].meta),
                        )
                        .with_note("types, commands and events share one namespace")
                }
                _ => Diagnostic::error(
                    def.name_span,
                    format!("'{}' is a predefined type", def.name),
                )
                .with_label("cannot be redefined"),
            };
            self.diags.push(d);
            return;
        }
        let id = self.add(def.name.clone(), Plan::Def(i));
        self.def_entity[i] = Some(id);
    }

    // ---------------------------------------------------------------- resolve

    fn type_ref(&mut self, t: &TypeName, what: &dyn std::fmt::Display) -> TypeRef {
        let name = if t.array {
            format!("{}List", t.name)
        } else {
            t.name.clone()
        };
        if !t.array {
            self.check_is_type(&t.name, t.span, what);
        }
        match self.by_name.get(&name) {
            Some(&id) => TypeRef { id, name },
            // Reported by check_is_type (or the array's own resolution);
            // the placeholder never leaves the builder.
            None => {
                self.tainted.insert(self.resolving);
                TypeRef {
                    id: EntityId(0),
                    name,
                }
            }
        }
    }

    /// Reports `name` when it is not a type.
    fn check_is_type(&mut self, name: &str, span: Span, what: &dyn std::fmt::Display) {
        match self.by_name.get(name).map(|id| &self.plans[id.0 as usize]) {
            Some(Plan::Def(i))
                if matches!(
                    self.defs[*i].kind,
                    DefKind::Command { .. } | DefKind::Event { .. }
                ) =>
            {
                let meta = self.defs[*i].meta;
                self.diags.push(
                    Diagnostic::error(
                        span,
                        format!("{what} uses '{name}', which is a {meta}, not a type"),
                    )
                    .with_label("not a type")
                    .with_related(self.defs[*i].name_span, format!("the {meta}")),
                );
            }
            Some(_) => {}
            None => {
                let mut d = Diagnostic::error(span, format!("{what} uses unknown type '{name}'"))
                    .with_label("not defined");
                if name == "**" {
                    d = d.with_note(
                        self.profile
                            .older("'**' was the name of 'any' before QEMU 2.5"),
                    );
                }
                let types = self
                    .names
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| match &self.plans[*i] {
                        Plan::Def(d) => !matches!(
                            self.defs[*d].kind,
                            DefKind::Command { .. } | DefKind::Event { .. }
                        ),
                        Plan::Builtin(_) => true,
                        _ => false,
                    });
                if let Some(s) = suggest(name, types.map(|(_, n)| n.as_str())) {
                    d = d.with_note(format!("did you mean '{s}'?"));
                }
                self.diags.push(d);
            }
        }
    }

    fn members(&mut self, members: &[MemberDef], what: &str) -> Vec<Member> {
        members
            .iter()
            .map(|m| Member {
                name: m.name.clone(),
                optional: m.optional,
                ty: self.type_ref(&m.ty, &format_args!("{what} '{}'", m.name)),
                cond: m.cond.clone(),
                features: m.features.clone(),
                span: m.span,
                doc: None,
            })
            .collect()
    }

    fn entity_for(&mut self, index: usize, kind: EntityKind, origin: Origin) -> Entity {
        let def = &self.defs[index];
        let explicit = origin == Origin::Explicit;
        Entity {
            name: String::new(),
            kind,
            origin,
            module: Some(self.module_of_file[def.file.0 as usize]),
            span: Some(def.name_span),
            cond: def.cond.clone(),
            features: if explicit {
                def.features.clone()
            } else {
                Vec::new()
            },
            doc: if explicit {
                self.docs[index].take()
            } else {
                None
            },
            events_spec: None,
        }
    }

    fn resolve_all(&mut self) -> Vec<Entity> {
        let mut out = Vec::with_capacity(self.plans.len());
        for i in 0..self.plans.len() {
            self.resolving = i;
            let plan = self.plans[i].clone();
            let mut e = match &plan {
                Plan::Builtin(e) => (**e).clone(),
                Plan::Array { element, span } => {
                    self.check_is_type(element, *span, &"array type");
                    let element = self.type_ref(
                        &TypeName {
                            name: element.clone(),
                            array: false,
                            span: *span,
                        },
                        &"array type",
                    );
                    // Module and condition are the element's; see fixup below.
                    Entity {
                        name: String::new(),
                        kind: EntityKind::Array(ArrayType { element }),
                        origin: Origin::Array,
                        module: None,
                        span: Some(*span),
                        cond: None,
                        features: Vec::new(),
                        doc: None,
                        events_spec: None,
                    }
                }
                Plan::Args(d) => {
                    let def = &self.defs[*d];
                    let owner = self.by_name.get(&def.name).copied().unwrap_or(EntityId(0));
                    let (Some(Data::Inline(members, _)), origin) = (match &def.kind {
                        DefKind::Command { data, .. } => {
                            (data.as_ref(), Origin::CommandArguments(owner))
                        }
                        DefKind::Event { data, .. } => (data.as_ref(), Origin::EventData(owner)),
                        _ => (None, Origin::Explicit),
                    }) else {
                        continue;
                    };
                    let what = if def.meta == "command" {
                        "argument"
                    } else {
                        "member"
                    };
                    let members = self.members(members, what);
                    self.entity_for(
                        *d,
                        EntityKind::Struct(StructType {
                            base: None,
                            members,
                        }),
                        origin,
                    )
                }
                Plan::Base(d) => {
                    let def = &self.defs[*d];
                    let owner = self.by_name.get(&def.name).copied().unwrap_or(EntityId(0));
                    let DefKind::Union {
                        base: Data::Inline(members, _),
                        ..
                    } = &def.kind
                    else {
                        continue;
                    };
                    let members = self.members(members, "base member");
                    self.entity_for(
                        *d,
                        EntityKind::Struct(StructType {
                            base: None,
                            members,
                        }),
                        Origin::UnionBase(owner),
                    )
                }
                Plan::Def(d) => {
                    let def = &self.defs[*d];
                    let origin = match &def.implied_by {
                        Some(owner) => {
                            Origin::Implied(self.by_name.get(owner).copied().unwrap_or(EntityId(0)))
                        }
                        None => Origin::Explicit,
                    };
                    let kind = self.resolve_def(def);
                    self.entity_for(*d, kind, origin)
                }
            };
            e.name = self.names[i].clone();
            out.push(e);
        }
        // Arrays take their element's module and condition.
        for i in 0..out.len() {
            if let EntityKind::Array(a) = &out[i].kind {
                if out[i].origin == Origin::Array {
                    let el = &out[a.element.id.0 as usize];
                    let (module, cond) = (el.module, el.cond.clone());
                    out[i].module = module;
                    out[i].cond = cond;
                }
            }
        }
        out
    }

    fn resolve_def(&mut self, def: &Def) -> EntityKind {
        match &def.kind {
            DefKind::Enum { values, prefix } => EntityKind::Enum(EnumType {
                values: values.clone(),
                prefix: prefix.clone(),
            }),
            DefKind::Struct { base, members } => {
                let base = base.as_ref().map(|b| self.type_ref(b, &"'base'"));
                let members = self.members(members, "member");
                EntityKind::Struct(StructType { base, members })
            }
            DefKind::Union {
                base,
                discriminator,
                branches,
            } => {
                let base = match base {
                    Data::Named(t) => self.type_ref(t, &"'base'"),
                    Data::Inline(..) => {
                        let name = format!("q_obj_{}-base", def.name);
                        TypeRef {
                            id: self.by_name.get(&name).copied().unwrap_or(EntityId(0)),
                            name,
                        }
                    }
                };
                let branches = branches
                    .iter()
                    .map(|b| UnionBranch {
                        name: b.name.clone(),
                        ty: self.type_ref(&b.ty, &format_args!("branch '{}'", b.name)),
                        cond: b.cond.clone(),
                        explicit: true,
                        span: b.span,
                    })
                    .collect();
                // The discriminator type is set by the check phase.
                let placeholder = TypeRef {
                    id: EntityId(0),
                    name: String::new(),
                };
                EntityKind::Union(UnionType {
                    base,
                    discriminator: discriminator.node.clone(),
                    discriminator_type: placeholder,
                    branches,
                })
            }
            DefKind::Alternate { branches } => EntityKind::Alternate(AlternateType {
                branches: branches
                    .iter()
                    .map(|b| AlternateBranch {
                        name: b.name.clone(),
                        ty: self.type_ref(&b.ty, &format_args!("branch '{}'", b.name)),
                        cond: b.cond.clone(),
                        span: b.span,
                        doc: None,
                    })
                    .collect(),
            }),
            DefKind::Command {
                data,
                boxed,
                returns,
                generate,
                success_response,
                allow_oob,
                allow_preconfig,
                coroutine,
            } => EntityKind::Command(Command {
                arguments: self.args_ref(def, data.as_ref(), "the command's 'data'"),
                boxed: *boxed,
                returns: returns
                    .as_ref()
                    .map(|r| self.type_ref(r, &"the command's 'returns'")),
                generate: *generate,
                success_response: *success_response,
                allow_oob: *allow_oob,
                allow_preconfig: *allow_preconfig,
                coroutine: *coroutine,
            }),
            DefKind::Event { data, boxed } => EntityKind::Event(Event {
                data: self.args_ref(def, data.as_ref(), "the event's 'data'"),
                boxed: *boxed,
            }),
        }
    }

    fn args_ref(&mut self, def: &Def, data: Option<&Data>, what: &str) -> Option<TypeRef> {
        match data? {
            Data::Named(t) => Some(self.type_ref(t, &what)),
            Data::Inline(members, _) if members.is_empty() => None,
            Data::Inline(..) => {
                let name = format!("q_obj_{}-arg", def.name);
                Some(TypeRef {
                    id: self.by_name.get(&name).copied().unwrap_or(EntityId(0)),
                    name,
                })
            }
        }
    }

    // ------------------------------------------------------------------ check

    /// The checks that need the whole schema, in QEMU's order; each
    /// family's are in its module of [`crate::check`].
    fn check_all(&mut self, es: &mut [Entity]) {
        let cyclic = self.check_self_containment(es);
        for i in 0..es.len() {
            let id = EntityId(i as u32);
            if self.tainted.contains(&i) {
                continue;
            }
            let Plan::Def(d) = self.plans[i] else {
                if matches!(self.plans[i], Plan::Args(_) | Plan::Base(_)) && !cyclic[i] {
                    self.check_member_clashes(es, id);
                }
                continue;
            };
            let def = &self.defs[d];
            if es[i].kind.is_type() {
                self.check_type_features(def);
            }
            match &def.kind {
                DefKind::Struct { base, .. } => {
                    if let Some(b) = base {
                        self.check_base_is_struct(es, id, b.span);
                    }
                    if !cyclic[i] {
                        self.check_member_clashes(es, id);
                    }
                }
                DefKind::Union {
                    base,
                    discriminator,
                    branches,
                } => {
                    if let Data::Named(b) = base {
                        self.check_base_is_struct(es, id, b.span);
                    }
                    if !cyclic[i] {
                        self.check_union(
                            es,
                            id,
                            def,
                            discriminator.node.as_str(),
                            discriminator.span,
                            branches,
                        );
                    }
                }
                DefKind::Alternate { branches } => self.check_alternate(es, branches),
                DefKind::Command { data, .. } | DefKind::Event { data, .. } => {
                    self.check_args(es, id, def, data.as_ref());
                    if let DefKind::Command {
                        returns: Some(r), ..
                    } = &def.kind
                    {
                        self.check_returns(es, id, def, r);
                    }
                }
                DefKind::Enum { .. } => {}
            }
        }
        if self.diags.is_empty() {
            self.connect_docs(es);
            self.check_feature_limit(es);
        }
    }
}
