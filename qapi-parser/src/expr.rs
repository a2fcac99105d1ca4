//! Checking each definition on its own, and normalising it.
//!
//! Every top-level definition is validated without looking at the rest of
//! the schema: its meta key and name, its documentation comment's symbol
//! and sections, its keys, the shapes of its values, `if` conditions,
//! features and flags. Short forms become long forms. The result is a
//! typed [`Def`]; references to other types are still names, which
//! [`crate::schema`] resolves. This module reads an expression's meta and
//! keys and hands its values to the checks of [`crate::check`], a module
//! per family of rules (names, docs, members, unions, ...).

use crate::check::unreachable_missing;
use crate::diag::Diagnostic;
use crate::doc::Doc;
use crate::ir::{Cond, EnumValue, Feature, Pragma};
use crate::loader::ExprItem;
use crate::profile::{Profile, Rule};
use crate::source::{FileId, Span};
use crate::syntax::{Object, Spanned, Value};

/// A reference to a type by name: `'T'` or `['T']`.
#[derive(Debug, Clone)]
pub(crate) struct TypeName {
    pub name: String,
    pub array: bool,
    pub span: Span,
}

/// A member of a struct, inline base or inline arguments.
#[derive(Debug, Clone)]
pub(crate) struct MemberDef {
    pub name: String,
    pub optional: bool,
    pub ty: TypeName,
    pub cond: Option<Cond>,
    pub features: Vec<Feature>,
    pub span: Span,
}

/// `data`/`base` given as a type name or inline members.
#[derive(Debug, Clone)]
pub(crate) enum Data {
    Named(TypeName),
    Inline(Vec<MemberDef>, Span),
}

#[derive(Debug, Clone)]
pub(crate) struct BranchDef {
    pub name: String,
    pub ty: TypeName,
    pub cond: Option<Cond>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub(crate) enum DefKind {
    Enum {
        values: Vec<EnumValue>,
        prefix: Option<String>,
    },
    Struct {
        base: Option<TypeName>,
        members: Vec<MemberDef>,
    },
    Union {
        base: Data,
        discriminator: Spanned<String>,
        branches: Vec<BranchDef>,
    },
    Alternate {
        branches: Vec<BranchDef>,
    },
    Command {
        data: Option<Data>,
        boxed: bool,
        returns: Option<TypeName>,
        generate: bool,
        success_response: bool,
        allow_oob: bool,
        allow_preconfig: bool,
        coroutine: bool,
    },
    Event {
        data: Option<Data>,
        boxed: bool,
    },
}

/// A checked, normalised definition.
#[derive(Debug, Clone)]
pub(crate) struct Def {
    pub meta: &'static str,
    pub name: String,
    pub name_span: Span,
    pub file: FileId,
    pub kind: DefKind,
    pub cond: Option<Cond>,
    pub features: Vec<Feature>,
    pub doc: Option<Doc>,
    /// The legacy simple union that implies this definition, if any.
    pub implied_by: Option<String>,
}

const METAS: [&str; 6] = ["enum", "struct", "union", "alternate", "command", "event"];

pub(crate) struct Checker<'a> {
    pub pragma: &'a Pragma,
    /// The rules of the schema's release.
    pub profile: Profile,
    pub diags: Vec<Diagnostic>,
    /// Definitions the legacy dialect implies (a simple union's tag enum
    /// and branch wrappers), placed before the definition that implies
    /// them.
    pub implied: Vec<Def>,
    /// Names of the wrapper types already implied.
    pub wrappers: Vec<String>,
    /// Notes from checks that only read the checker.
    pub notes: std::cell::RefCell<Vec<Diagnostic>>,
    /// Structs implied by nested anonymous structs (QEMU 1.x) in the
    /// definition being checked, placed before it.
    pub nested: std::cell::RefCell<Vec<Def>>,
    /// The definition being checked (its name and file), for naming the
    /// structs it implies.
    pub current: std::cell::RefCell<Option<(String, FileId)>>,
}

pub(crate) type R<T> = Result<T, Diagnostic>;

/// What a check is about ("member 'x'", "the type of branch 'b'"), kept
/// as pieces and formatted only when a message is actually produced:
/// building these strings for every member of every definition cost
/// more than the checks themselves.
#[derive(Clone, Copy)]
pub(crate) struct Desc<'a>(
    pub(crate) &'static str,
    pub(crate) &'a str,
    pub(crate) &'static str,
);

impl<'a> Desc<'a> {
    pub(crate) const fn fixed(text: &'static str) -> Desc<'static> {
        Desc(text, "", "")
    }

    /// `KIND 'NAME'`, e.g. `Desc::named("member '", "x")`.
    pub(crate) const fn named(kind: &'static str, name: &'a str) -> Desc<'a> {
        Desc(kind, name, "'")
    }
}

impl std::fmt::Display for Desc<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}{}{}", self.0, self.1, self.2)
    }
}

pub(crate) fn err(span: Span, msg: impl Into<String>) -> Diagnostic {
    Diagnostic::error(span, msg)
}

impl Checker<'_> {
    /// Checks every expression; returns the definitions that passed.
    pub(crate) fn check_all(&mut self, exprs: Vec<ExprItem>) -> Vec<Def> {
        let mut defs = Vec::with_capacity(exprs.len());
        for item in exprs {
            match self.check(item) {
                Ok(def) => {
                    defs.append(&mut self.implied);
                    defs.append(self.nested.get_mut());
                    defs.push(def);
                }
                Err(d) => {
                    self.nested.get_mut().clear();
                    self.diags.push(d);
                }
            }
        }
        self.diags.append(self.notes.get_mut());
        defs
    }

    pub(crate) fn check(&mut self, item: ExprItem) -> R<Def> {
        let ExprItem {
            file,
            obj,
            span,
            doc,
        } = item;
        let mut metas = obj
            .entries
            .iter()
            .filter(|(k, _)| METAS.contains(&k.node.as_str()));
        let legacy_type = self.profile.holds(Rule::TypeKeyword)
            && !obj.contains("struct")
            && obj.contains("type");
        let (meta_key, meta_value) = match (metas.next(), metas.next()) {
            (Some((k, v)), None) => (k, v),
            (Some((k1, _)), Some((k2, _))) => {
                return Err(err(
                    k2.span,
                    format!(
                        "a definition cannot be both '{}' and '{}'",
                        k1.node, k2.node
                    ),
                )
                .with_label("second kind of definition")
                .with_related(k1.span, "first kind"));
            }
            (None, _) if legacy_type => match obj.entries.iter().find(|(k, _)| k.node == "type") {
                Some((k, v)) => {
                    self.diags.push(
                        Rule::TypeKeyword.note(k.span, "legacy 'type' definition (now 'struct')"),
                    );
                    (k, v)
                }
                None => return Err(unreachable_missing()),
            },
            (None, _) => {
                let mut d = err(span, "expression does not define anything")
                    .with_label("expected one of the keys 'enum', 'struct', 'union', 'alternate', 'command', 'event', 'include', 'pragma'");
                if obj.contains("type") {
                    d = d.with_note(
                        self.profile
                            .older("'type' is the old name of 'struct' (QEMU before 2.4)"),
                    );
                }
                return Err(d);
            }
        };
        let meta: &'static str = match meta_key.node.as_str() {
            "type" => "struct",
            m => METAS.iter().copied().find(|x| *x == m).unwrap_or("struct"),
        };
        let Value::Str(name) = &meta_value.node else {
            return Err(err(
                meta_value.span,
                format!(
                    "the name of a {meta} must be a string, not {}",
                    meta_value.node.kind()
                ),
            )
            .with_label("expected a string"));
        };
        let name = name.clone();
        let name_span = meta_value.span;
        self.check_definition_name(&name, meta, name_span)?;
        *self.current.borrow_mut() = Some((name.clone(), file));

        // Documentation comment. Older releases have comments naming
        // another definition (typos, renames): keep the definition, drop
        // the comment, and say so.
        let mut doc = doc;
        if self.profile.holds(Rule::OldDocLayouts)
            && doc
                .as_ref()
                .is_some_and(|d| d.symbol.as_deref() != Some(name.as_str()))
        {
            if let Some(d) = doc.take() {
                self.diags.push(Rule::OldDocLayouts.note(
                    d.span,
                    format!(
                        "legacy documentation comment for '{}' before '{name}' is not attached",
                        d.symbol.as_deref().unwrap_or_default()
                    ),
                ));
            }
        }
        if let Some(doc) = &doc {
            if doc.symbol.as_deref() != Some(name.as_str()) {
                return Err(err(doc.span, format!(
                    "documentation comment is for '{}', but the definition that follows is '{name}'",
                    doc.symbol.as_deref().unwrap_or_default()
                ))
                .with_related(name_span, "the definition"));
            }
            self.check_doc_sections(doc, meta, &obj)?;
        } else if self.pragma.doc_required {
            return Err(err(
                name_span,
                format!("{meta} '{name}' has no documentation comment"),
            )
            .with_label("undocumented")
            .with_note("the schema sets pragma 'doc-required'"));
        }

        let mk = meta_key.node.as_str();
        let simple_union = meta == "union"
            && self.profile.holds(Rule::SimpleUnions)
            && !obj.contains("base")
            && !obj.contains("discriminator");
        // QEMU 1.6 to 2.3: `'discriminator': {}` made a union anonymous,
        // what 'alternate' has been since.
        let anonymous_union = meta == "union"
            && self.profile.holds(Rule::AnonymousUnions)
            && !obj.contains("base")
            && obj
                .get("discriminator")
                .is_some_and(|d| matches!(&d.node, Value::Object(o) if o.entries.is_empty()));
        let (required, optional): (&[&str], &[&str]) = match meta {
            "union" if simple_union => (&["union", "data"], &["if", "features"]),
            "union" if anonymous_union => {
                (&["union", "discriminator", "data"], &["if", "features"])
            }
            "enum" => (&[mk, "data"], &["prefix", "if", "features"]),
            "struct" => (&[mk, "data"], &["base", "if", "features"]),
            "union" => (
                &["union", "base", "discriminator", "data"],
                &["if", "features"],
            ),
            "alternate" => (&["alternate", "data"], &["if", "features"]),
            "command" => (
                &["command"],
                &[
                    "data",
                    "returns",
                    "boxed",
                    "if",
                    "features",
                    "gen",
                    "success-response",
                    "allow-oob",
                    "allow-preconfig",
                    "coroutine",
                ],
            ),
            _ => (&["event"], &["data", "boxed", "if", "features"]),
        };
        self.check_keys(&obj, span, Desc(meta, "", ""), required, optional)?;

        let kind = match meta {
            "enum" => self.enum_def(&name, &obj)?,
            "struct" => self.struct_def(&name, &obj)?,
            "union" if simple_union => self.simple_union_def(&name, &obj, file)?,
            "union" if anonymous_union => {
                if let Some(d) = obj.get("discriminator") {
                    self.diags.push(Rule::AnonymousUnions.note(
                        d.span,
                        format!("legacy anonymous union '{name}' (now an 'alternate')"),
                    ));
                }
                self.alternate_def(&obj)?
            }
            "union" => self.union_def(&name, &obj)?,
            "alternate" => self.alternate_def(&obj)?,
            "command" => self.command_def(&obj, span)?,
            _ => self.event_def(&obj, span)?,
        };
        let cond = self.cond_of(&obj, Desc::fixed("definition"))?;
        let features = self.features(&obj)?;
        Ok(Def {
            meta,
            name,
            name_span,
            file,
            kind,
            cond,
            features,
            doc,
            implied_by: None,
        })
    }

    pub(crate) fn check_keys(
        &self,
        obj: &Object,
        span: Span,
        what: Desc<'_>,
        required: &[&str],
        optional: &[&str],
    ) -> R<()> {
        for (k, _) in &obj.entries {
            if !required.contains(&k.node.as_str()) && !optional.contains(&k.node.as_str()) {
                let mut valid: Vec<&str> = required.iter().chain(optional).copied().collect();
                valid.sort_unstable();
                return Err(err(k.span, format!("{what} has no key '{}'", k.node))
                    .with_label("unknown key")
                    .with_note(format!("valid keys are '{}'", valid.join("', '"))));
            }
        }
        let missing: Vec<&str> = required
            .iter()
            .copied()
            .filter(|r| !obj.contains(r))
            .collect();
        if !missing.is_empty() {
            let mut d = err(
                span,
                format!(
                    "{what} is missing the key{} '{}'",
                    if missing.len() > 1 { "s" } else { "" },
                    missing.join("', '")
                ),
            )
            .with_label("in this object");
            if what.0 == "union"
                && missing.contains(&"discriminator")
                && !self.profile.holds(Rule::SimpleUnions)
            {
                d = d.with_note(self.profile.older(
                    "simple unions (without 'base' and 'discriminator') were removed in QEMU 6.2",
                ));
            }
            return Err(d);
        }
        Ok(())
    }
}
