//! Alternates: branches as written (no arrays, no optional branches),
//! and, once the schema is built, that no two branches take the same JSON
//! type (a string branch excludes enum branches, and so on).

use super::{article, unreachable_missing};
use crate::diag::Diagnostic;
use crate::expr::{BranchDef, Checker, DefKind, Desc, R, err};
use crate::ir::{Entity, EntityKind, JsonType};
use crate::names::{NameKind, c_name_eq};
use crate::schema::Builder;
use crate::syntax::{Object, Value};

impl Checker<'_> {
    pub(crate) fn alternate_def(&self, obj: &Object) -> R<DefKind> {
        let data = obj.get("data").ok_or_else(unreachable_missing)?;
        let Value::Object(o) = &data.node else {
            return Err(err(
                data.span,
                format!(
                    "the 'data' of an alternate must be an object of branches, not {}",
                    data.node.kind()
                ),
            )
            .with_label("expected '{'"));
        };
        if o.entries.is_empty() {
            return Err(
                err(data.span, "an alternate needs at least one branch").with_label("empty")
            );
        }
        let branches = self.branches(o, true)?;
        Ok(DefKind::Alternate { branches })
    }

    /// The branches of a union (`alternate` false: names are enum values,
    /// checked later; types are names) or of an alternate (names follow
    /// the member rules; types may be arrays).
    pub(crate) fn branches(&self, obj: &Object, alternate: bool) -> R<Vec<BranchDef>> {
        let mut branches = Vec::with_capacity(obj.entries.len());
        for (key, value) in &obj.entries {
            let source = Desc::named("branch '", &key.node);
            let type_of = Desc("the type of branch '", &key.node, "'");
            if alternate {
                crate::names::check(&key.node, NameKind::Member, false, false).map_err(|why| {
                    err(key.span, format!("invalid branch name '{}'", key.node))
                        .with_label("bad name")
                        .with_note(why)
                })?;
            }
            let (ty, cond) = match &value.node {
                Value::Object(long) => {
                    self.check_keys(long, value.span, source, &["type"], &["if"])?;
                    let ty = long.get("type").ok_or_else(unreachable_missing)?;
                    (
                        self.type_name(ty, type_of, alternate)?,
                        self.cond_of(long, source)?,
                    )
                }
                _ => (self.type_name(value, type_of, alternate)?, None),
            };
            branches.push(BranchDef {
                name: key.node.clone(),
                ty,
                cond,
                span: key.span,
            });
        }
        Ok(branches)
    }
}

impl Builder<'_> {
    pub(crate) fn check_alternate(&mut self, es: &[Entity], branches: &[BranchDef]) {
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
}
