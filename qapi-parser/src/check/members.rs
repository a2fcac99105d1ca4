//! Members and bases: member names and types as written (`'T'`,
//! `['T']`, `'*optional'`, the long form with `if` and `features`),
//! structs and their `base`, and, once the schema is built, that a base
//! is a struct, that no type contains itself, and that no two members of
//! an object clash once mapped to C names (a base's, a branch's).
//!
//! By release: [`Rule::StarStarType`], [`Rule::VisitorType`] (old names
//! of `any`), [`Rule::NestedStructs`] (1.x anonymous structs as member
//! types).

use super::{article, display_name, unreachable_missing};
use crate::diag::Diagnostic;
use crate::expr::{Checker, Data, Def, DefKind, Desc, MemberDef, R, TypeName, err};
use crate::ir::{Entity, EntityId, EntityKind, Member, members_with_owner};
use crate::names::{NameKind, c_name_eq};
use crate::profile::Rule;
use crate::schema::Builder;
use crate::source::Span;
use crate::syntax::{Object, Spanned, Value};

impl Checker<'_> {
    pub(crate) fn struct_def(&self, name: &str, obj: &Object) -> R<DefKind> {
        let data = obj.get("data").ok_or_else(unreachable_missing)?;
        let members = match &data.node {
            Value::Object(_) => {
                self.members(data, Desc::fixed("the 'data' of a struct"), Some(name))?
            }
            other => {
                return Err(err(
                    data.span,
                    format!(
                        "the 'data' of a struct must be an object of members, not {}",
                        other.kind()
                    ),
                )
                .with_label("expected '{'"));
            }
        };
        let base = obj
            .get("base")
            .map(|b| self.type_name(b, Desc::fixed("'base'"), false))
            .transpose()?;
        Ok(DefKind::Struct { base, members })
    }

    pub(crate) fn data(&self, v: &Spanned<Value>, what: Desc<'_>, owner: Option<&str>) -> R<Data> {
        match &v.node {
            Value::Str(s) => Ok(Data::Named(TypeName {
                name: s.clone(),
                array: false,
                span: v.span,
            })),
            Value::Object(_) => Ok(Data::Inline(self.members(v, what, owner)?, v.span)),
            other => Err(err(
                v.span,
                format!(
                    "{what} must be an object of members or a type name, not {}",
                    other.kind()
                ),
            )
            .with_label("expected '{' or a type name")),
        }
    }

    /// `{ 'name': TYPE-REF | { 'type': ..., 'if': ..., 'features': ... } }`
    /// `owner` is the struct or union whose name the pragma
    /// `member-name-exceptions` may list (`None` for command and event
    /// arguments, which are never exempt).
    pub(crate) fn members(
        &self,
        v: &Spanned<Value>,
        what: Desc<'_>,
        owner: Option<&str>,
    ) -> R<Vec<MemberDef>> {
        // Older releases had no naming rules for members at all.
        let excepted =
            owner.is_some_and(|o| self.pragma.member_name_exceptions.iter().any(|n| n == o));
        let permissive = self.profile.holds(Rule::FreeNames) || excepted;
        let Value::Object(obj) = &v.node else {
            return Err(err(
                v.span,
                format!(
                    "{what} must be an object of members or a type name, not {}",
                    v.node.kind()
                ),
            )
            .with_label("expected '{' or a type name"));
        };
        let mut out = Vec::with_capacity(obj.entries.len());
        for (key, value) in &obj.entries {
            let (name, optional) = match key.node.strip_prefix('*') {
                Some(n) => (n, true),
                None => (key.node.as_str(), false),
            };
            if self.profile.holds(Rule::FreeNames)
                && !excepted
                && crate::names::check(name, NameKind::Member, false, false).is_err()
            {
                self.notes
                    .borrow_mut()
                    .push(Rule::FreeNames.note(key.span, format!("legacy member name '{name}'")));
            }
            let source = Desc::named("member '", name);
            let type_of = Desc("the type of member '", name, "'");
            crate::names::check(name, NameKind::Member, permissive, false).map_err(|why| {
                let mut d = err(key.span, format!("invalid member name '{name}'")).with_label("bad name").with_note(why);
                if owner.is_some() && name.bytes().any(|b| b.is_ascii_uppercase() || b == b'_') {
                    d = d.with_note("list the type in pragma 'member-name-exceptions' if its members must keep these names");
                }
                if name.bytes().any(|b| b.is_ascii_uppercase() || b == b'_') {
                    d = d.with_note(self.profile.older("QEMU releases before 6.0 had no such rule"));
                }
                d
            })?;
            if crate::names::is_reserved_member(name) {
                return Err(err(key.span, format!("member name '{name}' is reserved"))
                    .with_label("reserved")
                    .with_note("'u' and names starting with 'has-' or 'has_' are reserved for generated C code"));
            }
            let (ty, cond, features) = match &value.node {
                Value::Object(long)
                    if !long.contains("type") && self.profile.holds(Rule::NestedStructs) =>
                {
                    (self.nested_struct(name, value)?, None, Vec::new())
                }
                Value::Object(long) => {
                    if !long.contains("type") {
                        return Err(err(value.span, format!("{source} needs a 'type'"))
                            .with_label("no 'type' key in this object")
                            .with_note("a member is written 'name': 'Type' or 'name': { 'type': 'Type', 'if': ..., 'features': [...] }")
                            .with_note("nested anonymous structs are not allowed: define a struct and name it")
                            .with_note(self.profile.older("QEMU 1.x had nested anonymous structs")));
                    }
                    self.check_keys(long, value.span, source, &["type"], &["if", "features"])?;
                    let ty = long
                        .get("type")
                        .ok_or_else(|| err(value.span, "missing 'type'"))?;
                    let ty = self.type_name(ty, type_of, true)?;
                    (ty, self.cond_of(long, source)?, self.features(long)?)
                }
                _ => (self.type_name(value, type_of, true)?, None, Vec::new()),
            };
            out.push(MemberDef {
                name: name.to_string(),
                optional,
                ty,
                cond,
                features,
                span: key.span,
            });
        }
        Ok(out)
    }

    pub(crate) fn type_name(
        &self,
        v: &Spanned<Value>,
        what: Desc<'_>,
        allow_array: bool,
    ) -> R<TypeName> {
        // '**' was the name of 'any' before QEMU 2.5.
        if self.profile.holds(Rule::StarStarType) && v.node.as_str() == Some("**") {
            self.notes
                .borrow_mut()
                .push(Rule::StarStarType.note(v.span, "legacy type '**' (now 'any')"));
            return Ok(TypeName {
                name: "any".into(),
                array: false,
                span: v.span,
            });
        }
        // QEMU 1.x: 'visitor', the unchecked type of the 'gen': 'no'
        // commands qom-get and qom-set.
        if self.profile.holds(Rule::VisitorType) && v.node.as_str() == Some("visitor") {
            self.notes
                .borrow_mut()
                .push(Rule::VisitorType.note(v.span, "legacy type 'visitor' (now 'any')"));
            return Ok(TypeName {
                name: "any".into(),
                array: false,
                span: v.span,
            });
        }
        match &v.node {
            Value::Str(s) => Ok(TypeName {
                name: s.clone(),
                array: false,
                span: v.span,
            }),
            Value::Array(items) if allow_array => match items.as_slice() {
                [
                    Spanned {
                        node: Value::Str(s),
                        ..
                    },
                ] => Ok(TypeName {
                    name: s.clone(),
                    array: true,
                    span: v.span,
                }),
                _ => Err(err(
                    v.span,
                    format!(
                        "{what}: an array type is written ['TypeName'], with exactly one type name"
                    ),
                )
                .with_label("bad array type")),
            },
            Value::Array(_) => Err(err(
                v.span,
                format!("{what} must be a type name, not an array"),
            )
            .with_label("array not allowed here")),
            other => Err(err(
                v.span,
                format!(
                    "{what} must be a type name{}, not {}",
                    if allow_array {
                        " or an array ['T']"
                    } else {
                        ""
                    },
                    other.kind()
                ),
            )
            .with_label("expected a type")),
        }
    }

    /// A nested anonymous struct as the type of member `member` (QEMU
    /// 1.x: `'qemu': {'major': 'int', ...}`): a struct of its own, named
    /// after the definition and the member (`VersionInfo` and `qemu` make
    /// `VersionInfoQemu`), implied by the definition and placed before
    /// it.
    pub(crate) fn nested_struct(&self, member: &str, value: &Spanned<Value>) -> R<TypeName> {
        let Some((owner, file)) = self.current.borrow().clone() else {
            return Err(err(value.span, "a nested struct outside a definition"));
        };
        let camel = |s: &str| -> String {
            s.split(['-', '_', '.'])
                .map(|w| {
                    let mut c = w.chars();
                    c.next()
                        .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                        .unwrap_or_default()
                })
                .collect()
        };
        let name = format!("{}{}", camel(&owner), camel(member));
        self.notes.borrow_mut().push(Rule::NestedStructs.note(
            value.span,
            format!("legacy nested anonymous struct, read as the struct '{name}'"),
        ));
        // Its own nested structs are named after it.
        let outer = self.current.replace(Some((name.clone(), file)));
        let members = self.members(value, Desc::fixed("a nested struct"), Some(&owner));
        *self.current.borrow_mut() = outer;
        self.nested.borrow_mut().push(Def {
            meta: "struct",
            name: name.clone(),
            name_span: value.span,
            file,
            kind: DefKind::Struct {
                base: None,
                members: members?,
            },
            cond: None,
            features: Vec::new(),
            doc: None,
            implied_by: Some(owner),
        });
        Ok(TypeName {
            name,
            array: false,
            span: value.span,
        })
    }
}

impl Builder<'_> {
    pub(crate) fn check_base_is_struct(&mut self, es: &[Entity], id: EntityId, span: Span) {
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
    pub(crate) fn check_self_containment(&mut self, es: &[Entity]) -> Vec<bool> {
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

    pub(crate) fn describe_member(
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
    pub(crate) fn check_member_clashes(&mut self, es: &[Entity], id: EntityId) {
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
    pub(crate) fn check_branch_clash(
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
}
