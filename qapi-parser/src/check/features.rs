//! Conditions and features: `if` (a name, `all`, `any`, `not`),
//! `features` (names, `if`, the special `deprecated` and `unstable` only
//! where they mean something), and the limit on the number of features.
//!
//! By release: [`Rule::PreprocessorConditions`] (C preprocessor
//! expressions and lists of them, 3.0 to 6.1).

use super::unreachable_missing;
use crate::diag::Diagnostic;
use crate::expr::{Checker, Def, Desc, R, err};
use crate::ir::{Cond, Entity, EntityKind, Feature};
use crate::names::NameKind;
use crate::profile::Rule;
use crate::schema::Builder;
use crate::source::Span;
use crate::syntax::{Object, Spanned, Value};

impl Checker<'_> {
    pub(crate) fn cond_of(&self, obj: &Object, what: Desc<'_>) -> R<Option<Cond>> {
        obj.get("if").map(|c| self.cond(c, what)).transpose()
    }

    /// Nesting is bounded by the syntax pre-scan, so the recursion is too.
    pub(crate) fn cond(&self, v: &Spanned<Value>, what: Desc<'_>) -> R<Cond> {
        let is_ident = |s: &str| {
            s.bytes().next().is_some_and(|b| b.is_ascii_uppercase())
                && s.bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
        };
        // QEMU 3.0 to 6.1: C preprocessor expressions, and lists of them
        // meaning all must hold.
        if self.profile.holds(Rule::PreprocessorConditions) {
            match &v.node {
                Value::Str(s) if !is_ident(s) && !s.is_empty() => {
                    self.notes.borrow_mut().push(
                        Rule::PreprocessorConditions
                            .note(v.span, format!("legacy C preprocessor condition '{s}'")),
                    );
                    let inner = s
                        .trim()
                        .strip_prefix("defined(")
                        .and_then(|r| r.strip_suffix(')'))
                        .map(str::trim);
                    return Ok(Cond::Name(match inner {
                        Some(name) if is_ident(name) => name.to_string(),
                        _ => s.clone(),
                    }));
                }
                Value::Array(items) if !items.is_empty() => {
                    self.notes.borrow_mut().push(
                        Rule::PreprocessorConditions
                            .note(v.span, "legacy list of conditions (all must hold)"),
                    );
                    return Ok(Cond::All(
                        items
                            .iter()
                            .map(|i| self.cond(i, what))
                            .collect::<R<Vec<_>>>()?,
                    ));
                }
                _ => {}
            }
        }
        match &v.node {
            Value::Str(s) => {
                let valid = is_ident(s);
                if !valid {
                    let mut d = err(v.span, format!("'if' condition '{s}' of {what} is not a valid identifier"))
                        .with_label("expected a name like CONFIG_FOO")
                        .with_note("a condition is an upper-case identifier, or {'all': [...]}, {'any': [...]}, {'not': ...}");
                    if s.contains("defined(") {
                        d = d.with_note(
                            self.profile
                                .older("C preprocessor conditions were used by QEMU 3.0 to 6.1"),
                        );
                    }
                    return Err(d);
                }
                Ok(Cond::Name(s.clone()))
            }
            Value::Object(o) => {
                if let Some((k, _)) = o
                    .entries
                    .iter()
                    .find(|(k, _)| !matches!(k.node.as_str(), "all" | "any" | "not"))
                {
                    return Err(err(
                        k.span,
                        format!("'if' condition of {what} has unknown key '{}'", k.node),
                    )
                    .with_label("expected 'all', 'any' or 'not'"));
                }
                match o.entries.as_slice() {
                    [] => Err(err(v.span, format!("'if' condition of {what} is empty"))
                        .with_label("expected one of 'all', 'any', 'not'")),
                    [(k, operand)] => match k.node.as_str() {
                        "not" => Ok(Cond::Not(Box::new(self.cond(operand, what)?))),
                        op => {
                            let Value::Array(items) = &operand.node else {
                                return Err(err(
                                    operand.span,
                                    format!("'{op}' condition of {what} must be an array"),
                                )
                                .with_label(format!("{} here", operand.node.kind())));
                            };
                            if items.is_empty() {
                                return Err(err(
                                    operand.span,
                                    format!("'{op}' condition of {what} has no operands"),
                                )
                                .with_label("an empty list decides nothing"));
                            }
                            let conds = items
                                .iter()
                                .map(|i| self.cond(i, what))
                                .collect::<R<Vec<_>>>()?;
                            Ok(if op == "all" {
                                Cond::All(conds)
                            } else {
                                Cond::Any(conds)
                            })
                        }
                    },
                    [_, (k2, _), ..] => Err(err(
                        k2.span,
                        format!("'if' condition of {what} has more than one operator"),
                    )
                    .with_label("second operator")
                    .with_note("nest them: {'all': [{'not': ...}, ...]}")),
                }
            }
            other => {
                let mut d = err(
                    v.span,
                    format!(
                        "'if' condition of {what} must be a string or an object, not {}",
                        other.kind()
                    ),
                );
                if matches!(other, Value::Array(_)) {
                    d = d.with_note("a list of conditions is written {'all': [...]}");
                    d = d.with_note(self.profile.older("QEMU 3.0 to 6.1 wrote lists"));
                }
                Err(d)
            }
        }
    }

    pub(crate) fn features(&self, obj: &Object) -> R<Vec<Feature>> {
        let Some(v) = obj.get("features") else {
            return Ok(Vec::new());
        };
        let Value::Array(items) = &v.node else {
            return Err(err(
                v.span,
                format!("'features' must be an array, not {}", v.node.kind()),
            )
            .with_label("expected '['"));
        };
        let mut out: Vec<Feature> = Vec::with_capacity(items.len());
        for item in items {
            let (name, span, cond) = match &item.node {
                Value::Str(s) => (s.clone(), item.span, None),
                Value::Object(o) => {
                    self.check_keys(o, item.span, Desc::fixed("feature"), &["name"], &["if"])?;
                    let n = o.get("name").ok_or_else(unreachable_missing)?;
                    let Value::Str(s) = &n.node else {
                        return Err(err(
                            n.span,
                            format!("a feature's 'name' must be a string, not {}", n.node.kind()),
                        ));
                    };
                    (
                        s.clone(),
                        n.span,
                        self.cond_of(o, Desc::named("feature '", s))?,
                    )
                }
                other => {
                    return Err(err(
                        item.span,
                        format!(
                            "a feature must be a string or an object with 'name', not {}",
                            other.kind()
                        ),
                    ));
                }
            };
            crate::names::check(&name, NameKind::Member, false, false).map_err(|why| {
                err(span, format!("invalid feature name '{name}'"))
                    .with_label("bad name")
                    .with_note(why)
            })?;
            if let Some(prev) = out.iter().find(|f| crate::names::c_name_eq(&f.name, &name)) {
                return Err(err(
                    span,
                    if prev.name == name {
                        format!("feature '{name}' is listed twice")
                    } else {
                        format!("feature '{name}' clashes with feature '{}'", prev.name)
                    },
                )
                .with_related(prev.span, "the other one"));
            }
            out.push(Feature {
                name,
                cond,
                span,
                doc: None,
            });
        }
        Ok(out)
    }
}

impl Builder<'_> {
    /// The special features mean something for what a client sends or
    /// receives, not for a type as a whole.
    pub(crate) fn check_type_features(&mut self, def: &Def) {
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

    pub(crate) fn check_feature_limit(&mut self, es: &[Entity]) {
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
