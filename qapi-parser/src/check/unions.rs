//! Unions: `base`, `discriminator` and branches as written, and, once
//! the schema is built, that the discriminator is a required,
//! unconditional enum member of the base, that every branch is a value of
//! it and an object type, and that no branch member clashes with a base
//! member.
//!
//! By release: [`Rule::SimpleUnions`] (desugared here as QEMU did: a tag
//! enum, wrapper structs, a flat union), [`Rule::AnonymousUnions`] (read
//! as alternates), [`Rule::StringDiscriminators`] (a `'str'`
//! discriminator, with an implied enum of the branch names).

use super::{article, suggest, unreachable_missing};
use crate::diag::Diagnostic;
use crate::expr::{BranchDef, Checker, Data, Def, DefKind, Desc, MemberDef, R, TypeName, err};
use crate::ir::{
    Entity, EntityId, EntityKind, EnumValue, Member, Origin, TypeRef, UnionBranch,
    members_with_owner,
};
use crate::profile::{Profile, Rule};
use crate::schema::Builder;
use crate::source::{FileId, Span};
use crate::syntax::{Object, Spanned, Value};
use std::collections::HashMap;

impl Checker<'_> {
    pub(crate) fn union_def(&self, name: &str, obj: &Object) -> R<DefKind> {
        let base = obj.get("base").ok_or_else(unreachable_missing)?;
        let base = self.data(base, Desc::fixed("the 'base' of a union"), Some(name))?;
        let disc = obj.get("discriminator").ok_or_else(unreachable_missing)?;
        let Value::Str(d) = &disc.node else {
            return Err(err(
                disc.span,
                format!(
                    "'discriminator' must be the name of a base member, not {}",
                    disc.node.kind()
                ),
            )
            .with_label("expected a string"));
        };
        let discriminator = Spanned {
            node: d.clone(),
            span: disc.span,
        };
        let data = obj.get("data").ok_or_else(unreachable_missing)?;
        let Value::Object(branches_obj) = &data.node else {
            return Err(err(
                data.span,
                format!(
                    "the 'data' of a union must be an object of branches, not {}",
                    data.node.kind()
                ),
            )
            .with_label("expected '{'"));
        };
        let branches = self.branches(branches_obj, false)?;
        Ok(DefKind::Union {
            base,
            discriminator,
            branches,
        })
    }

    /// A simple union (QEMU before 6.2): `{'union': U, 'data': {b: T}}`,
    /// on the wire `{"type": "b", "data": {...T...}}`. Desugared as QEMU
    /// did: a tag enum `UKind`, a wrapper struct `{data: T}` per branch
    /// type, and a flat union over them.
    pub(crate) fn simple_union_def(
        &mut self,
        name: &str,
        obj: &Object,
        file: FileId,
    ) -> R<DefKind> {
        let data = obj.get("data").ok_or_else(unreachable_missing)?;
        let Value::Object(branches_obj) = &data.node else {
            return Err(err(
                data.span,
                format!(
                    "the 'data' of a union must be an object of branches, not {}",
                    data.node.kind()
                ),
            ));
        };
        self.diags.push(Rule::SimpleUnions.note(
            data.span,
            format!("legacy simple union '{name}' (wire form {{\"type\": ..., \"data\": ...}})"),
        ));
        let span = data.span;
        let kind_name = format!("{name}Kind");
        let mut values = Vec::new();
        let mut branches = Vec::new();
        for b in self.branches(branches_obj, true)? {
            values.push(EnumValue {
                name: b.name.clone(),
                cond: b.cond.clone(),
                features: Vec::new(),
                span: b.span,
                doc: None,
            });
            let inner = if b.ty.array {
                format!("{}List", b.ty.name)
            } else {
                b.ty.name.clone()
            };
            let mut chars = inner.chars();
            let wrapper = match chars.next() {
                Some(c) => format!("{}{}Wrapper", c.to_ascii_uppercase(), chars.as_str())
                    .replace(['-', '_', '.'], ""),
                None => "Wrapper".into(),
            };
            if !self.wrappers.contains(&wrapper) {
                self.wrappers.push(wrapper.clone());
                let member = MemberDef {
                    name: "data".into(),
                    optional: false,
                    ty: b.ty.clone(),
                    cond: None,
                    features: Vec::new(),
                    span: b.span,
                };
                self.implied.push(Def {
                    meta: "struct",
                    name: wrapper.clone(),
                    name_span: b.span,
                    file,
                    kind: DefKind::Struct {
                        base: None,
                        members: vec![member],
                    },
                    cond: None,
                    features: Vec::new(),
                    doc: None,
                    implied_by: Some(name.to_string()),
                });
            }
            branches.push(BranchDef {
                name: b.name.clone(),
                ty: TypeName {
                    name: wrapper,
                    array: false,
                    span: b.ty.span,
                },
                cond: b.cond,
                span: b.span,
            });
        }
        self.implied.push(Def {
            meta: "enum",
            name: kind_name.clone(),
            name_span: span,
            file,
            kind: DefKind::Enum {
                values,
                prefix: None,
            },
            cond: None,
            features: Vec::new(),
            doc: None,
            implied_by: Some(name.to_string()),
        });
        let tag = MemberDef {
            name: "type".into(),
            optional: false,
            ty: TypeName {
                name: kind_name,
                array: false,
                span,
            },
            cond: None,
            features: Vec::new(),
            span,
        };
        Ok(DefKind::Union {
            base: Data::Inline(vec![tag], span),
            discriminator: Spanned {
                node: "type".into(),
                span,
            },
            branches,
        })
    }
}

impl Builder<'_> {
    pub(crate) fn check_union(
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
            if let Some(&kind) = self.by_name.get(&kind_name(&def.name)) {
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
}

// ------------------------------------------------ 'str' discriminators
//
// Unions over a `'str'` discriminator (QEMU 1.6 to 2.0).
//
// Before 2.1 a flat union's discriminator could be a `'str'` member of
// its base; the branch names were then its values, and QEMU's generator
// made an enum `{Union}Kind` of them (QEMU 1.7's `BlockdevOptions`
// selects its branch by `driver: 'str'`). The same happens here, before
// the schema is built: the enum is implied by the union, placed before
// it, and the union's check takes it as the discriminator's enum. Later
// releases reject such a union (the discriminator must be of an enum
// type), which is the union check's error.

/// The name of the enum implied for union `union`.
pub(crate) fn kind_name(union: &str) -> String {
    format!("{union}Kind")
}

/// Inserts the implied enum before each union whose discriminator is a
/// `'str'` member, when the profile accepts such unions; returns the
/// defs and a located note for each.
pub(crate) fn imply_string_tags(defs: Vec<Def>, profile: Profile) -> (Vec<Def>, Vec<Diagnostic>) {
    if !profile.holds(Rule::StringDiscriminators) {
        return (defs, Vec::new());
    }
    let by_name: HashMap<&str, &Def> = defs.iter().map(|d| (d.name.as_str(), d)).collect();
    let mut implied = Vec::new();
    for d in &defs {
        let DefKind::Union {
            base,
            discriminator,
            branches,
        } = &d.kind
        else {
            continue;
        };
        let Some(tag) = find_member(&by_name, base, &discriminator.node) else {
            continue;
        };
        let kind = kind_name(&d.name);
        if tag.ty.array || tag.ty.name != "str" || by_name.contains_key(kind.as_str()) {
            continue;
        }
        let values = branches
            .iter()
            .map(|b| EnumValue {
                name: b.name.clone(),
                cond: b.cond.clone(),
                features: Vec::new(),
                span: b.span,
                doc: None,
            })
            .collect();
        let note = Rule::StringDiscriminators.note(
            discriminator.span,
            format!(
                "legacy 'str' discriminator '{}': its values are the branch names, the enum '{kind}'",
                discriminator.node
            ),
        );
        implied.push((
            d.name.clone(),
            Def {
                meta: "enum",
                name: kind,
                name_span: d.name_span,
                file: d.file,
                kind: DefKind::Enum {
                    values,
                    prefix: None,
                },
                cond: d.cond.clone(),
                features: Vec::new(),
                doc: None,
                implied_by: Some(d.name.clone()),
            },
            note,
        ));
    }
    if implied.is_empty() {
        return (defs, Vec::new());
    }
    let mut notes = Vec::new();
    let mut before: HashMap<String, Def> = HashMap::new();
    for (union, def, note) in implied {
        before.insert(union, def);
        notes.push(note);
    }
    let mut out = Vec::with_capacity(defs.len() + before.len());
    for d in defs {
        if let Some(e) = before.remove(&d.name) {
            out.push(e);
        }
        out.push(d);
    }
    (out, notes)
}

/// The member `name` of a union's base (following named bases' own
/// bases), if it is there.
fn find_member<'a>(
    by_name: &HashMap<&str, &'a Def>,
    base: &'a Data,
    name: &str,
) -> Option<&'a MemberDef> {
    let mut next = match base {
        Data::Inline(members, _) => return members.iter().find(|m| m.name == name),
        Data::Named(t) => Some(t.name.as_str()),
    };
    // A bounded walk: a cyclic base chain is the schema check's error.
    for _ in 0..by_name.len() {
        let DefKind::Struct { base, members } = &by_name.get(next?)?.kind else {
            return None;
        };
        if let Some(m) = members.iter().find(|m| m.name == name) {
            return Some(m);
        }
        next = base.as_ref().map(|b| b.name.as_str());
    }
    None
}
