//! The checks of the QAPI language, one module per family, in the order
//! QEMU's own front end makes them (`scripts/qapi/expr.py`, then
//! `schema.py`): [`names`], [`docs`], [`enums`], [`members`] (structs and
//! bases), [`unions`], [`alternates`], [`commands`] (and events),
//! [`features`] (and conditions).
//!
//! Each module holds both halves of its family: what can be checked on
//! one expression (methods of [`crate::expr::Checker`], which turns an
//! expression into a [`crate::expr::Def`]) and what needs the whole
//! schema (methods of [`crate::schema::Builder`], run after every type
//! reference is resolved). A rule that holds only for some QEMU releases
//! asks the [`Profile`](crate::profile::Profile); the releases of each
//! such rule are in one table, [`crate::profile::RULES`], and each
//! module's documentation names the rules it asks about.

pub(crate) mod alternates;
pub(crate) mod commands;
pub(crate) mod docs;
pub(crate) mod enums;
pub(crate) mod features;
pub(crate) mod members;
pub(crate) mod names;
pub(crate) mod unions;

use crate::diag::Diagnostic;
use crate::ir::{Entity, EntityId, Origin};

/// Keys are checked before they are read, so a missing one cannot happen;
/// the caller still gets an error instead of a panic.
pub(crate) fn unreachable_missing() -> Diagnostic {
    Diagnostic::error_unlocated("internal error: a required key vanished after it was checked")
}

/// Sorts names by edit distance to `target` and keeps the close ones.
pub(crate) fn suggest<'a>(
    target: &str,
    candidates: impl Iterator<Item = &'a str>,
) -> Option<&'a str> {
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

/// The name to show for an entity: its owner's for implicit types.
pub(crate) fn display_name(es: &[Entity], id: EntityId) -> String {
    let e = &es[id.0 as usize];
    match e.origin {
        Origin::CommandArguments(o) | Origin::EventData(o) | Origin::UnionBase(o) => {
            es[o.0 as usize].name.clone()
        }
        _ => e.name.clone(),
    }
}

pub(crate) fn article(meta: &str) -> String {
    match meta {
        "enum" | "alternate" | "array" | "event" => format!("an {meta}"),
        "built-in" => "a built-in type".into(),
        _ => format!("a {meta}"),
    }
}
