//! Unions over a `'str'` discriminator (QEMU 1.6 to 2.0).
//!
//! Before 2.1 a flat union's discriminator could be a `'str'` member of
//! its base; the branch names were then its values, and QEMU's generator
//! made an enum `{Union}Kind` of them (QEMU 1.7's `BlockdevOptions`
//! selects its branch by `driver: 'str'`). The same happens here, before
//! the schema is built: the enum is implied by the union, placed before
//! it, and the union's check takes it as the discriminator's enum. Later
//! releases reject such a union (the discriminator must be of an enum
//! type), which is the union check's error.

use crate::diag::Diagnostic;
use crate::expr::{Data, Def, DefKind, MemberDef};
use crate::ir::EnumValue;
use crate::profile::{Profile, Rule};
use std::collections::HashMap;

/// The name of the enum implied for union `union`.
pub(crate) fn kind_name(union: &str) -> String {
    format!("{union}Kind")
}

/// Inserts the implied enum before each union whose discriminator is a
/// `'str'` member, when the profile accepts such unions; returns the
/// defs and a located note for each.
pub(crate) fn imply(defs: Vec<Def>, profile: Profile) -> (Vec<Def>, Vec<Diagnostic>) {
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
