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
//!
//! Errors of one definition do not stop the checks of the others.

use crate::diag::Diagnostic;
use crate::expr::{BranchDef, Data, Def, DefKind, MemberDef, TypeName};
use crate::ir::members_with_owner;
use crate::ir::*;
use crate::loader::Loaded;
use crate::names::c_name_eq;
use crate::profile::{Profile, Rule};
use crate::source::Span;
use std::collections::HashMap;

/// What an entity slot will be built from.
#[derive(Clone)]
enum Plan {
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

struct Builder<'a> {
    defs: &'a [Def],
    /// The definitions' documentation, moved into the entities as they
    /// are built (docs are most of a schema's text: never copy them).
    docs: Vec<Option<crate::doc::Doc>>,
    plans: Vec<Plan>,
    names: Vec<String>,
    by_name: HashMap<String, EntityId>,
    /// Entity of each definition (for free-form doc placement).
    def_entity: Vec<Option<EntityId>>,
    diags: Vec<Diagnostic>,
    pragma: &'a Pragma,
    /// The rules of the schema's release.
    profile: Profile,
    /// Notes about legacy constructs accepted.
    notes: Vec<Diagnostic>,
    /// The entity being resolved, and the entities with a reference that
    /// did not resolve: their checks are skipped (the placeholder type
    /// would only produce echoes of the first error).
    resolving: usize,
    tainted: std::collections::HashSet<usize>,
    /// The module of each file, by file id.
    module_of_file: &'a [ModuleId],
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

/// Sorts names by edit distance to `target` and keeps the close ones.
fn suggest<'a>(target: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    fn distance(a: &str, b: &str) -> usize {
        let a: Vec<char> = a.to_lowercase().chars().collect();
        let b: Vec<char> = b.to_lowercase().chars().collect();
        let mut prev: Vec<usize> = (0..=b.len()).collect();
        for (i, ca) in a.iter().enumerate() {
            let mut cur = vec![i + 1; b.len() + 1];
            for (j, cb) in b.iter().enumerate() {
                cur[j + 1] = (prev[j] + usize::from(ca != cb))
                    .min(prev[j + 1] + 1)
                    .min(cur[j] + 1);
            }
            prev = cur;
        }
        prev[b.len()]
    }
    let limit = (target.len() / 3).max(1);
    candidates
        .map(|c| (distance(target, c), c))
        .filter(|(d, _)| *d <= limit)
        .min()
        .map(|(_, c)| c)
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
                for f in &def.features {
                    if f.is_special() {
                        self.diags.push(
                            Diagnostic::error(f.span, format!("feature '{}' is not allowed on types", f.name))
                                .with_label("special feature")
                                .with_note("'deprecated' and 'unstable' apply to commands, events, members and enum values"),
                        );
                    }
                }
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

    fn check_base_is_struct(&mut self, es: &[Entity], id: EntityId, span: Span) {
        let base = match &es[id.0 as usize].kind {
            EntityKind::Struct(s) => s.base.as_ref(),
            EntityKind::Union(u) => Some(&u.base),
            _ => None,
        };
        let Some(base) = base else { return };
        let b = &es[base.id.0 as usize];
        if !matches!(b.kind, EntityKind::Struct(_)) {
            let mut d = Diagnostic::error(
                span,
                format!(
                    "'base' must be a struct, but '{}' is {}",
                    b.name,
                    article(b.kind.meta())
                ),
            )
            .with_label("not a struct");
            if let Some(s) = b.span {
                d = d.with_related(s, format!("the {}", b.kind.meta()));
            }
            self.diags.push(d);
        }
    }

    /// Struct bases and union branches embed their type by value: a cycle
    /// through them is an infinitely large object. Returns which entities
    /// are on a cycle (their member checks are skipped).
    fn check_self_containment(&mut self, es: &[Entity]) -> Vec<bool> {
        fn edges(e: &Entity) -> Vec<EntityId> {
            match &e.kind {
                EntityKind::Struct(s) => s.base.iter().map(|b| b.id).collect(),
                EntityKind::Union(u) => std::iter::once(u.base.id)
                    .chain(u.branches.iter().map(|b| b.ty.id))
                    .collect(),
                _ => Vec::new(),
            }
        }
        #[derive(Clone, Copy, PartialEq)]
        enum Mark {
            New,
            Active,
            Done,
        }
        let mut mark = vec![Mark::New; es.len()];
        let mut cyclic = vec![false; es.len()];
        for start in 0..es.len() {
            if mark[start] != Mark::New {
                continue;
            }
            // Iterative DFS: (node, next edge index).
            let mut stack: Vec<(usize, usize)> = vec![(start, 0)];
            mark[start] = Mark::Active;
            while let Some(&mut (node, ref mut next)) = stack.last_mut() {
                let out = edges(&es[node]);
                if *next < out.len() {
                    let to = out[*next].0 as usize;
                    *next += 1;
                    match mark[to] {
                        Mark::New => {
                            mark[to] = Mark::Active;
                            stack.push((to, 0));
                        }
                        Mark::Active => {
                            // A cycle: every node from `to` up the stack.
                            let pos = stack.iter().position(|(n, _)| *n == to).unwrap_or(0);
                            let names: Vec<&str> = stack[pos..]
                                .iter()
                                .map(|(n, _)| es[*n].name.as_str())
                                .collect();
                            for (n, _) in &stack[pos..] {
                                cyclic[*n] = true;
                            }
                            if let Some(span) = es[to].span {
                                self.diags.push(
                                    Diagnostic::error(
                                        span,
                                        format!("'{}' contains itself", es[to].name),
                                    )
                                    .with_label("infinitely large")
                                    .with_note(format!(
                                        "through {} -> {}",
                                        names.join(" -> "),
                                        es[to].name
                                    ))
                                    .with_note(
                                        "a base or union branch includes its members by value",
                                    ),
                                );
                            }
                        }
                        Mark::Done => {}
                    }
                } else {
                    mark[node] = Mark::Done;
                    stack.pop();
                }
            }
        }
        cyclic
    }

    fn describe_member(
        &self,
        es: &[Entity],
        m: &Member,
        owner: EntityId,
        here: EntityId,
    ) -> String {
        if owner == here {
            format!("member '{}'", m.name)
        } else {
            format!("member '{}' of '{}'", m.name, display_name(es, owner))
        }
    }

    /// Members (own and inherited) must differ after C name mapping.
    fn check_member_clashes(&mut self, es: &[Entity], id: EntityId) {
        let mut all = Vec::new();
        members_with_owner(es, id, &mut all);
        // Member lists are short: a linear scan comparing C names in place
        // is cheaper than hashing freshly built strings.
        let mut seen: Vec<(&Member, EntityId)> = Vec::with_capacity(all.len());
        for (m, owner) in all {
            if let Some((prev, powner)) = seen.iter().find(|(p, _)| c_name_eq(&p.name, &m.name)) {
                let span = if owner == id {
                    m.span
                } else {
                    es[id.0 as usize].span.unwrap_or(m.span)
                };
                self.diags.push(
                    Diagnostic::error(
                        span,
                        format!(
                            "{} clashes with {}",
                            self.describe_member(es, m, owner, id),
                            self.describe_member(es, prev, *powner, id)
                        ),
                    )
                    .with_label("clash")
                    .with_related(prev.span, "the other member")
                    .with_note("member names must differ after '-' and '.' are replaced by '_'"),
                );
                continue;
            }
            seen.push((m, owner));
        }
    }

    /// Checks that a branch's members (recursively through nested unions)
    /// do not clash with the members already present (`seen`).
    fn check_branch_clash(
        &mut self,
        es: &[Entity],
        union: EntityId,
        ty: EntityId,
        seen: &[&str],
        span: Span,
        depth: usize,
    ) {
        if depth > es.len() {
            return;
        }
        let mut mine = Vec::new();
        members_with_owner(es, ty, &mut mine);
        let mut all: Vec<&str> = seen.to_vec();
        for (m, owner) in mine {
            if let Some(prev) = all.iter().find(|p| c_name_eq(p, &m.name)) {
                self.diags.push(
                    Diagnostic::error(
                        span,
                        format!(
                            "member '{}' of '{}' clashes with member '{prev}' of union '{}'",
                            m.name,
                            display_name(es, owner),
                            es[union.0 as usize].name
                        ),
                    )
                    .with_label("this branch adds it")
                    .with_related(m.span, "the branch's member"),
                );
                return;
            }
            all.push(&m.name);
        }
        if let EntityKind::Union(u) = &es[ty.0 as usize].kind {
            for b in &u.branches {
                self.check_branch_clash(es, union, b.ty.id, &all, span, depth + 1);
            }
        }
    }

    fn check_union(
        &mut self,
        es: &mut [Entity],
        id: EntityId,
        def: &Def,
        disc: &str,
        disc_span: Span,
        branch_defs: &[BranchDef],
    ) {
        self.check_member_clashes(es, id);
        let mut common_refs = Vec::new();
        members_with_owner(es, id, &mut common_refs);
        let common: Vec<(Member, EntityId)> = common_refs
            .into_iter()
            .map(|(m, o)| (m.clone(), o))
            .collect();
        let base_name = {
            let EntityKind::Union(u) = &es[id.0 as usize].kind else {
                return;
            };
            let b = &es[u.base.id.0 as usize];
            if b.origin == Origin::Explicit {
                format!("base '{}'", b.name)
            } else {
                "the base".to_string()
            }
        };
        let Some((tag, _)) = common.iter().find(|(m, _)| m.name == disc) else {
            let names: Vec<&str> = common.iter().map(|(m, _)| m.name.as_str()).collect();
            let mut d = Diagnostic::error(
                disc_span,
                format!("discriminator '{disc}' is not a member of {base_name}"),
            )
            .with_label("no such member");
            if let Some(s) = suggest(disc, names.iter().copied()) {
                d = d.with_note(format!("did you mean '{s}'?"));
            }
            self.diags.push(d);
            return;
        };
        let tag = tag.clone();
        let mut tag_ref = tag.ty.clone();
        if tag.ty.name == "str" && self.profile.holds(Rule::StringDiscriminators) {
            // The enum of the branch names, implied before the union.
            if let Some(&kind) = self.by_name.get(&crate::string_tags::kind_name(&def.name)) {
                if es[kind.0 as usize].origin == Origin::Implied(id) {
                    tag_ref = TypeRef {
                        id: kind,
                        name: es[kind.0 as usize].name.clone(),
                    };
                }
            }
        }
        let tag_type = &es[tag_ref.id.0 as usize];
        let EntityKind::Enum(tag_enum) = &tag_type.kind else {
            let mut d = Diagnostic::error(
                disc_span,
                format!(
                    "discriminator '{disc}' must be of an enum type, but it is '{}'",
                    tag_type.name
                ),
            )
            .with_label("not an enum")
            .with_related(tag.span, "the member");
            if tag.ty.name == "str" {
                d = d.with_note(self.profile.older(
                    "QEMU 1.6 to 2.0 accepted a 'str' discriminator (its values being the branch names)",
                ));
            }
            self.diags.push(d);
            return;
        };
        if tag.optional {
            self.diags.push(
                Diagnostic::error(
                    disc_span,
                    format!("discriminator '{disc}' must not be optional"),
                )
                .with_label("optional member")
                .with_related(tag.span, "declared optional here"),
            );
            return;
        }
        if tag.cond.is_some() {
            self.diags.push(
                Diagnostic::error(
                    disc_span,
                    format!("discriminator '{disc}' must not be conditional"),
                )
                .with_label("conditional member")
                .with_related(tag.span, "its 'if' is here"),
            );
            return;
        }
        let tag_enum = tag_enum.clone();
        let enum_name = tag_type.name.clone();
        let mut errors = Vec::new();
        for b in branch_defs {
            if !tag_enum.values.iter().any(|v| v.name == b.name) {
                let mut d = Diagnostic::error(
                    b.span,
                    format!("branch '{}' is not a value of enum '{enum_name}'", b.name),
                )
                .with_label("no such value");
                if let Some(s) = suggest(&b.name, tag_enum.values.iter().map(|v| v.name.as_str())) {
                    d = d.with_note(format!("did you mean '{s}'?"));
                }
                errors.push(d);
            }
        }
        let q_empty = TypeRef {
            id: self.by_name["q_empty"],
            name: "q_empty".into(),
        };
        let EntityKind::Union(u) = &mut es[id.0 as usize].kind else {
            return;
        };
        u.discriminator_type = tag_ref;
        // One branch per value, in enum order; values without an explicit
        // branch get the empty one, with the value's condition.
        let mut ordered = Vec::with_capacity(tag_enum.values.len());
        for v in &tag_enum.values {
            match u.branches.iter().find(|b| b.name == v.name) {
                Some(b) => ordered.push(b.clone()),
                None => ordered.push(UnionBranch {
                    name: v.name.clone(),
                    ty: q_empty.clone(),
                    cond: v.cond.clone(),
                    explicit: false,
                    span: v.span,
                }),
            }
        }
        u.branches = ordered;
        if u.branches.is_empty() {
            errors.push(
                Diagnostic::error(
                    def.name_span,
                    format!("union '{}' has no branches", def.name),
                )
                .with_label("empty")
                .with_note(format!(
                    "its discriminator enum '{enum_name}' has no values"
                )),
            );
        }
        let branches = u.branches.clone();
        self.diags.extend(errors);
        let seen: Vec<&str> = common.iter().map(|(m, _)| m.name.as_str()).collect();
        for (b, bdef) in branches.iter().filter(|b| b.explicit).zip(
            branch_defs
                .iter()
                .filter(|bd| tag_enum.values.iter().any(|v| v.name == bd.name)),
        ) {
            let bt = &es[b.ty.id.0 as usize];
            if !matches!(bt.kind, EntityKind::Struct(_) | EntityKind::Union(_)) {
                self.diags.push(
                    Diagnostic::error(
                        bdef.ty.span,
                        format!(
                            "branch '{}' must be a struct or union, but '{}' is {}",
                            b.name,
                            bt.name,
                            article(bt.kind.meta())
                        ),
                    )
                    .with_label("not an object type"),
                );
                continue;
            }
            self.check_branch_clash(es, id, b.ty.id, &seen, bdef.ty.span, 0);
        }
    }

    fn check_alternate(&mut self, es: &[Entity], branches: &[BranchDef]) {
        let mut seen: Vec<&BranchDef> = Vec::new();
        // JSON kind -> branch that takes it.
        let mut taken: Vec<(&'static str, &BranchDef)> = Vec::new();
        for b in branches {
            if let Some(prev) = seen.iter().find(|p| c_name_eq(&p.name, &b.name)) {
                self.diags.push(
                    Diagnostic::error(
                        b.span,
                        format!("branch '{}' clashes with branch '{}'", b.name, prev.name),
                    )
                    .with_related(prev.span, "the other branch"),
                );
                continue;
            }
            seen.push(b);
            let name = if b.ty.array {
                format!("{}List", b.ty.name)
            } else {
                b.ty.name.clone()
            };
            let Some(&tid) = self.by_name.get(&name) else {
                continue;
            };
            let t = &es[tid.0 as usize];
            let kinds: Vec<&'static str> = match &t.kind {
                EntityKind::Builtin { builtin } => match builtin.json_type() {
                    JsonType::String => vec!["string", "number", "boolean"],
                    JsonType::Int | JsonType::Number => vec!["number"],
                    JsonType::Boolean => vec!["boolean"],
                    JsonType::Null => vec!["null"],
                    _ => Vec::new(),
                },
                EntityKind::Enum(e) => {
                    let mut k = vec!["string"];
                    if e.values.iter().any(|v| v.name == "on" || v.name == "off") {
                        k.push("boolean");
                    }
                    if e.values.iter().any(|v| {
                        v.name
                            .starts_with(|c: char| c.is_ascii_digit() || "-+.".contains(c))
                    }) {
                        k.push("number");
                    }
                    k
                }
                EntityKind::Struct(_) | EntityKind::Union(_) => vec!["object"],
                EntityKind::Array(_) => vec!["array"],
                _ => Vec::new(),
            };
            if kinds.is_empty() {
                self.diags.push(
                    Diagnostic::error(b.ty.span, format!("branch '{}' cannot be of type '{}' ({})", b.name, t.name, article(t.kind.meta())))
                        .with_label("not distinguishable")
                        .with_note("an alternate picks its branch by JSON type; 'any' and alternates have no single JSON type"),
                );
                continue;
            }
            let mut conflict = None;
            for k in &kinds {
                if let Some((_, prev)) = taken.iter().find(|(tk, _)| tk == k) {
                    conflict = Some((*k, *prev));
                    break;
                }
            }
            if let Some((k, prev)) = conflict {
                let mut d = Diagnostic::error(
                    b.ty.span,
                    format!(
                        "branch '{}' cannot be told apart from branch '{}'",
                        b.name, prev.name
                    ),
                )
                .with_label(format!("also accepts a JSON {k}"))
                .with_related(prev.ty.span, "the other branch");
                if t.name == "str" || matches!(t.kind, EntityKind::Enum(_)) {
                    d = d.with_note("string branches also accept numbers and booleans given as strings on the command line");
                }
                self.diags.push(d);
                continue;
            }
            taken.extend(kinds.into_iter().map(|k| (k, b)));
        }
    }

    fn check_args(&mut self, es: &[Entity], id: EntityId, def: &Def, data: Option<&Data>) {
        let (args, boxed) = match &es[id.0 as usize].kind {
            EntityKind::Command(c) => (c.arguments.clone(), c.boxed),
            EntityKind::Event(e) => (e.data.clone(), e.boxed),
            _ => return,
        };
        let Some(args) = args else { return };
        let span = match data {
            Some(Data::Named(t)) => t.span,
            Some(Data::Inline(_, s)) => *s,
            None => def.name_span,
        };
        let t = &es[args.id.0 as usize];
        match &t.kind {
            EntityKind::Struct(_) => {}
            EntityKind::Union(_) if boxed => {}
            EntityKind::Union(_) => {
                self.diags.push(
                    Diagnostic::error(
                        span,
                        format!(
                            "the {}'s 'data' can be union '{}' only with 'boxed': true",
                            def.meta, t.name
                        ),
                    )
                    .with_label("union arguments"),
                );
                return;
            }
            _ => {
                self.diags.push(
                    Diagnostic::error(
                        span,
                        format!(
                            "the {}'s 'data' must be a struct, but '{}' is {}",
                            def.meta,
                            t.name,
                            article(t.kind.meta())
                        ),
                    )
                    .with_label("not a struct"),
                );
                return;
            }
        }
        if !boxed {
            let mut members = Vec::new();
            members_with_owner(es, args.id, &mut members);
            if let Some((m, _)) = members.iter().find(|(m, _)| m.cond.is_some()) {
                self.diags.push(
                    Diagnostic::error(
                        m.span,
                        format!("conditional {} arguments need 'boxed': true", def.meta),
                    )
                    .with_label("conditional member")
                    .with_related(def.name_span, format!("the {}", def.meta)),
                );
            }
        }
    }

    fn check_returns(&mut self, es: &[Entity], id: EntityId, def: &Def, r: &TypeName) {
        let EntityKind::Command(c) = &es[id.0 as usize].kind else {
            return;
        };
        let Some(ret) = &c.returns else { return };
        // An array whose element did not resolve was reported already.
        if self.pragma.command_returns_exceptions.contains(&def.name)
            || self.tainted.contains(&(ret.id.0 as usize))
        {
            return;
        }
        let mut t = &es[ret.id.0 as usize];
        if let EntityKind::Array(a) = &t.kind {
            t = &es[a.element.id.0 as usize];
        }
        if !matches!(t.kind, EntityKind::Struct(_) | EntityKind::Union(_))
            && self.profile.holds(Rule::UncheckedReturns)
        {
            // Before 2.9 the exceptions were a list inside QEMU's generator.
            self.notes.push(Rule::UncheckedReturns.note(
                r.span,
                format!("legacy non-object return type '{}'", ret.name),
            ));
        } else if !matches!(t.kind, EntityKind::Struct(_) | EntityKind::Union(_)) {
            self.diags.push(
                Diagnostic::error(r.span, format!("command '{}' returns '{}', which is not an object type", def.name, ret.name))
                    .with_label("not a struct or union")
                    .with_note("commands return objects (or arrays of them) so that members can be added later")
                    .with_note("list the command in pragma 'command-returns-exceptions' if it must return something else")
                    .with_note(self.profile.older("QEMU releases before 2.9 listed such commands inside their generator")),
            );
        }
    }

    /// With a documentation comment, every member, value, branch and
    /// feature must be documented, and everything documented must exist.
    fn connect_docs(&mut self, es: &mut [Entity]) {
        for i in 0..es.len() {
            if es[i].origin != Origin::Explicit {
                continue;
            }
            let Some(doc) = es[i].doc.clone() else {
                continue;
            };
            let name = es[i].name.clone();
            let exempt = self.pragma.documentation_exceptions.contains(&name);
            let role: &str;
            // (name, span) of what the comment must describe.
            let mut items: Vec<(String, Span)> = Vec::new();
            let mut features: Vec<(String, Span)> = es[i]
                .features
                .iter()
                .map(|f| (f.name.clone(), f.span))
                .collect();
            let implicit_members = |es: &[Entity], t: &Option<TypeRef>| -> Option<usize> {
                let t = t.as_ref()?;
                matches!(
                    es[t.id.0 as usize].origin,
                    Origin::CommandArguments(_)
                        | Origin::EventData(_)
                        | Origin::UnionBase(_)
                        | Origin::Array
                )
                .then_some(t.id.0 as usize)
            };
            let member_holder = match &es[i].kind {
                EntityKind::Enum(e) => {
                    role = "value";
                    for v in &e.values {
                        items.push((v.name.clone(), v.span));
                        features.extend(v.features.iter().map(|f| (f.name.clone(), f.span)));
                    }
                    None
                }
                EntityKind::Alternate(a) => {
                    role = "branch";
                    items.extend(a.branches.iter().map(|b| (b.name.clone(), b.span)));
                    None
                }
                EntityKind::Struct(_) => {
                    role = "member";
                    Some(i)
                }
                EntityKind::Union(u) => {
                    role = "member";
                    implicit_members(es, &Some(u.base.clone()))
                }
                EntityKind::Command(c) => {
                    role = "argument";
                    implicit_members(es, &c.arguments)
                }
                EntityKind::Event(e) => {
                    role = "member";
                    implicit_members(es, &e.data)
                }
                _ => continue,
            };
            if let Some(h) = member_holder {
                if let EntityKind::Struct(s) = &es[h].kind {
                    for m in &s.members {
                        items.push((m.name.clone(), m.span));
                        features.extend(m.features.iter().map(|f| (f.name.clone(), f.span)));
                    }
                }
            }
            for (n, span) in &items {
                if doc.member(n).is_none() && !exempt && !self.profile.holds(Rule::OldDocLayouts) {
                    self.diags.push(
                        Diagnostic::error(*span, format!("{role} '{n}' of '{name}' is not documented"))
                            .with_label("undocumented")
                            .with_related(doc.span, "the documentation comment")
                            .with_note(format!("add '@{n}: ...' to the comment, or list '{name}' in pragma 'documentation-exceptions'")),
                    );
                }
            }
            let mut feature_names: Vec<&str> = Vec::new();
            for (n, span) in &features {
                if feature_names.contains(&n.as_str()) {
                    continue;
                }
                feature_names.push(n);
                if doc.feature(n).is_none() && !self.profile.holds(Rule::OldDocLayouts) {
                    self.diags.push(
                        Diagnostic::error(
                            *span,
                            format!("feature '{n}' of '{name}' is not documented"),
                        )
                        .with_label("undocumented")
                        .with_related(doc.span, "the documentation comment")
                        .with_note(format!("add 'Features:' and '@{n}: ...' to the comment")),
                    );
                }
            }
            for s in &doc.sections {
                let Some(n) = &s.name else { continue };
                let (exists, what) = match s.kind {
                    crate::doc::SectionKind::Member => (items.iter().any(|(m, _)| m == n), role),
                    crate::doc::SectionKind::Feature => {
                        (feature_names.contains(&n.as_str()), "feature")
                    }
                    _ => continue,
                };
                if !exists && !self.profile.holds(Rule::OldDocLayouts) {
                    let mut d = Diagnostic::error(s.span, format!("the documentation describes {what} '{n}', but '{name}' has no such {what}"))
                        .with_label("nothing to describe");
                    let names: Vec<&str> = if what == "feature" {
                        feature_names.clone()
                    } else {
                        items.iter().map(|(m, _)| m.as_str()).collect()
                    };
                    if let Some(sug) = suggest(n, names.into_iter()) {
                        d = d.with_note(format!("did you mean '@{sug}:'?"));
                    }
                    self.diags.push(d);
                }
            }
            // Attach the text to the IR.
            let member_doc = |n: &str| doc.member(n).map(|s| s.text.clone());
            let feature_doc = |n: &str| doc.feature(n).map(|s| s.text.clone());
            for f in &mut es[i].features {
                f.doc = feature_doc(&f.name);
            }
            match &mut es[i].kind {
                EntityKind::Enum(e) => {
                    for v in &mut e.values {
                        v.doc = member_doc(&v.name);
                        for f in &mut v.features {
                            f.doc = feature_doc(&f.name);
                        }
                    }
                }
                EntityKind::Alternate(a) => {
                    for b in &mut a.branches {
                        b.doc = member_doc(&b.name);
                    }
                }
                _ => {}
            }
            if let Some(h) = member_holder {
                if let EntityKind::Struct(s) = &mut es[h].kind {
                    for m in &mut s.members {
                        m.doc = member_doc(&m.name);
                        for f in &mut m.features {
                            f.doc = feature_doc(&f.name);
                        }
                    }
                }
            }
            es[i].doc = Some(doc);
        }
    }

    fn check_feature_limit(&mut self, es: &[Entity]) {
        const LIMIT: usize = 64;
        let mut names: Vec<&str> = vec!["deprecated", "unstable"];
        let mut first_over: Option<Span> = None;
        for e in es {
            let member_features: Vec<&Feature> = match &e.kind {
                EntityKind::Struct(s) => s.members.iter().flat_map(|m| &m.features).collect(),
                EntityKind::Enum(en) => en.values.iter().flat_map(|v| &v.features).collect(),
                _ => Vec::new(),
            };
            for f in e.features.iter().chain(member_features) {
                if !names.contains(&f.name.as_str()) {
                    names.push(&f.name);
                    if names.len() > LIMIT && first_over.is_none() {
                        first_over = Some(f.span);
                    }
                }
            }
        }
        if let Some(span) = first_over {
            self.diags.push(
                Diagnostic::error(span, format!("the schema uses {} distinct feature names; at most {LIMIT} are allowed", names.len()))
                    .with_label("one too many")
                    .with_note("QEMU keeps feature flags in a 64-bit mask ('deprecated' and 'unstable' included)"),
            );
        }
    }
}

/// The name to show for an entity: its owner's for implicit types.
fn display_name(es: &[Entity], id: EntityId) -> String {
    let e = &es[id.0 as usize];
    match e.origin {
        Origin::CommandArguments(o) | Origin::EventData(o) | Origin::UnionBase(o) => {
            es[o.0 as usize].name.clone()
        }
        _ => e.name.clone(),
    }
}

fn article(meta: &str) -> String {
    match meta {
        "enum" | "alternate" | "array" | "event" => format!("an {meta}"),
        "built-in" => "a built-in type".into(),
        _ => format!("a {meta}"),
    }
}
