//! Checking each definition on its own, and normalising it.
//!
//! Every top-level definition is validated without looking at the rest of
//! the schema: its meta key and name, its documentation comment's symbol
//! and sections, its keys, the shapes of its values, `if` conditions,
//! features and flags. Short forms become long forms. The result is a
//! typed [`Def`]; references to other types are still names, which
//! [`crate::schema`] resolves.

use crate::diag::Diagnostic;
use crate::doc::{Doc, SectionKind};
use crate::ir::{Cond, EnumValue, Feature, Pragma};
use crate::loader::ExprItem;
use crate::names::{self, NameKind};
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

type R<T> = Result<T, Diagnostic>;

/// What a check is about ("member 'x'", "the type of branch 'b'"), kept
/// as pieces and formatted only when a message is actually produced:
/// building these strings for every member of every definition cost
/// more than the checks themselves.
#[derive(Clone, Copy)]
struct Desc<'a>(&'static str, &'a str, &'static str);

impl<'a> Desc<'a> {
    const fn fixed(text: &'static str) -> Desc<'static> {
        Desc(text, "", "")
    }

    /// `KIND 'NAME'`, e.g. `Desc::named("member '", "x")`.
    const fn named(kind: &'static str, name: &'a str) -> Desc<'a> {
        Desc(kind, name, "'")
    }
}

impl std::fmt::Display for Desc<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}{}{}", self.0, self.1, self.2)
    }
}

fn err(span: Span, msg: impl Into<String>) -> Diagnostic {
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

    fn check(&mut self, item: ExprItem) -> R<Def> {
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

    fn check_definition_name(&self, name: &str, meta: &str, span: Span) -> R<()> {
        let kind = match meta {
            "command" => NameKind::Command,
            "event" => NameKind::Event,
            _ => NameKind::Type,
        };
        let excepted = self
            .pragma
            .command_name_exceptions
            .iter()
            .any(|n| n == name);
        if meta == "command"
            && self.profile.holds(Rule::FreeNames)
            && !excepted
            && names::check(name, kind, false, false).is_err()
        {
            self.notes
                .borrow_mut()
                .push(Rule::FreeNames.note(span, format!("legacy command name '{name}'")));
        }
        let permissive = meta == "command" && (excepted || self.profile.holds(Rule::FreeNames));
        names::check(name, kind, permissive, false).map_err(|why| {
            let mut d = err(span, format!("invalid {meta} name '{name}'"))
                .with_label("bad name")
                .with_note(why);
            if meta == "command" && name.contains('_') && !self.profile.holds(Rule::FreeNames) {
                d = d.with_note(
                    "list it in pragma 'command-name-exceptions' if it must keep the '_'",
                );
                d = d.with_note(
                    self.profile
                        .older("QEMU releases before 6.0 had no such rule"),
                );
            }
            d
        })?;
        Ok(())
    }

    fn check_doc_sections(&self, doc: &Doc, meta: &str, obj: &Object) -> R<()> {
        for s in &doc.sections {
            match s.kind {
                SectionKind::Returns if meta != "command" => {
                    return Err(err(s.span, "'Returns:' is only for commands"));
                }
                SectionKind::Returns
                    if !obj.contains("returns") && !self.profile.holds(Rule::OldDocLayouts) =>
                {
                    return Err(err(
                        s.span,
                        "'Returns:' section, but the command returns nothing",
                    )
                    .with_note("the command has no 'returns' key"));
                }
                SectionKind::Errors if meta != "command" => {
                    return Err(err(s.span, "'Errors:' is only for commands"));
                }
                _ => {}
            }
        }
        Ok(())
    }

    fn check_keys(
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

    fn type_name(&self, v: &Spanned<Value>, what: Desc<'_>, allow_array: bool) -> R<TypeName> {
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

    /// `{ 'name': TYPE-REF | { 'type': ..., 'if': ..., 'features': ... } }`
    /// `owner` is the struct or union whose name the pragma
    /// `member-name-exceptions` may list (`None` for command and event
    /// arguments, which are never exempt).
    fn members(
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
                && names::check(name, NameKind::Member, false, false).is_err()
            {
                self.notes
                    .borrow_mut()
                    .push(Rule::FreeNames.note(key.span, format!("legacy member name '{name}'")));
            }
            let source = Desc::named("member '", name);
            let type_of = Desc("the type of member '", name, "'");
            names::check(name, NameKind::Member, permissive, false).map_err(|why| {
                let mut d = err(key.span, format!("invalid member name '{name}'")).with_label("bad name").with_note(why);
                if owner.is_some() && name.bytes().any(|b| b.is_ascii_uppercase() || b == b'_') {
                    d = d.with_note("list the type in pragma 'member-name-exceptions' if its members must keep these names");
                }
                if name.bytes().any(|b| b.is_ascii_uppercase() || b == b'_') {
                    d = d.with_note(self.profile.older("QEMU releases before 6.0 had no such rule"));
                }
                d
            })?;
            if names::is_reserved_member(name) {
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

    /// A nested anonymous struct as the type of member `member` (QEMU
    /// 1.x: `'qemu': {'major': 'int', ...}`): a struct of its own, named
    /// after the definition and the member (`VersionInfo` and `qemu` make
    /// `VersionInfoQemu`), implied by the definition and placed before
    /// it.
    fn nested_struct(&self, member: &str, value: &Spanned<Value>) -> R<TypeName> {
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

    fn is_member_exception(&self, name: &str) -> bool {
        self.profile.holds(Rule::FreeNames)
            || self.pragma.member_name_exceptions.iter().any(|n| n == name)
    }

    fn enum_def(&self, name: &str, obj: &Object) -> R<DefKind> {
        let data = obj.get("data").ok_or_else(unreachable_missing)?;
        let Value::Array(items) = &data.node else {
            return Err(err(
                data.span,
                format!(
                    "the 'data' of an enum must be an array of values, not {}",
                    data.node.kind()
                ),
            )
            .with_label("expected '['"));
        };
        let prefix = match obj.get("prefix") {
            None => None,
            Some(Spanned {
                node: Value::Str(s),
                ..
            }) => Some(s.clone()),
            Some(p) => {
                return Err(err(
                    p.span,
                    format!("'prefix' must be a string, not {}", p.node.kind()),
                )
                .with_label("expected a string"));
            }
        };
        let permissive = self.is_member_exception(name);
        let mut values: Vec<EnumValue> = Vec::with_capacity(items.len());
        for item in items {
            let (vname, vspan, cond, features) = match &item.node {
                Value::Str(s) => (s.clone(), item.span, None, Vec::new()),
                Value::Object(o) => {
                    self.check_keys(
                        o,
                        item.span,
                        Desc::fixed("enum value"),
                        &["name"],
                        &["if", "features"],
                    )?;
                    let n = o.get("name").ok_or_else(unreachable_missing)?;
                    let Value::Str(s) = &n.node else {
                        return Err(err(
                            n.span,
                            format!(
                                "an enum value's 'name' must be a string, not {}",
                                n.node.kind()
                            ),
                        ));
                    };
                    (
                        s.clone(),
                        n.span,
                        self.cond_of(o, Desc::named("value '", s))?,
                        self.features(o)?,
                    )
                }
                other => {
                    return Err(err(
                        item.span,
                        format!(
                            "an enum value must be a string or an object with 'name', not {}",
                            other.kind()
                        ),
                    )
                    .with_label("bad value"));
                }
            };
            let checked = names::check(&vname, NameKind::Member, permissive, true);
            // Older releases also had '.' in enum values.
            let legacy_ok = self.profile.holds(Rule::FreeNames)
                && !vname.is_empty()
                && vname
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
            if checked.is_err() && legacy_ok {
                self.notes
                    .borrow_mut()
                    .push(Rule::FreeNames.note(vspan, format!("legacy enum value '{vname}'")));
            }
            if let Err(why) = checked {
                if !legacy_ok {
                    return Err(err(vspan, format!("invalid enum value '{vname}'"))
                        .with_label("bad name")
                        .with_note(why));
                }
            }
            if let Some(EnumValue {
                name: prev,
                span: pspan,
                ..
            }) = values.iter().find(|v| names::c_name_eq(&v.name, &vname))
            {
                return Err(err(
                    vspan,
                    if *prev == vname {
                        format!("value '{vname}' is listed twice")
                    } else {
                        format!("value '{vname}' clashes with value '{prev}'")
                    },
                )
                .with_label("clash")
                .with_related(*pspan, "the other one")
                .with_note("values must differ after '-' and '.' are replaced by '_'"));
            }
            values.push(EnumValue {
                name: vname,
                cond,
                features,
                span: vspan,
                doc: None,
            });
        }
        Ok(DefKind::Enum { values, prefix })
    }

    fn struct_def(&self, name: &str, obj: &Object) -> R<DefKind> {
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

    fn data(&self, v: &Spanned<Value>, what: Desc<'_>, owner: Option<&str>) -> R<Data> {
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

    fn union_def(&self, name: &str, obj: &Object) -> R<DefKind> {
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
    fn simple_union_def(&mut self, name: &str, obj: &Object, file: FileId) -> R<DefKind> {
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

    fn alternate_def(&self, obj: &Object) -> R<DefKind> {
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
    fn branches(&self, obj: &Object, alternate: bool) -> R<Vec<BranchDef>> {
        let mut branches = Vec::with_capacity(obj.entries.len());
        for (key, value) in &obj.entries {
            let source = Desc::named("branch '", &key.node);
            let type_of = Desc("the type of branch '", &key.node, "'");
            if alternate {
                names::check(&key.node, NameKind::Member, false, false).map_err(|why| {
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

    /// `data` and `boxed`, shared by commands and events.
    fn args(&self, obj: &Object, meta: &str, span: Span) -> R<(Option<Data>, bool)> {
        let boxed = self.flag(obj, "boxed", true)?;
        let data = match obj.get("data") {
            None if boxed => {
                let k = obj.key("boxed").map_or(span, |k| k.span);
                return Err(err(k, "'boxed': true needs 'data'").with_label("nothing to box"));
            }
            None => None,
            Some(d) if boxed => match &d.node {
                Value::Str(s) => Some(Data::Named(TypeName {
                    name: s.clone(),
                    array: false,
                    span: d.span,
                })),
                other => {
                    return Err(err(
                        d.span,
                        format!(
                            "with 'boxed': true, 'data' must be a type name, not {}",
                            other.kind()
                        ),
                    )
                    .with_label("expected a type name"));
                }
            },
            Some(d) => {
                let what = if meta == "command" {
                    "the 'data' of a command"
                } else {
                    "the 'data' of an event"
                };
                Some(self.data(d, Desc::fixed(what), None)?)
            }
        };
        Ok((data, boxed))
    }

    fn command_def(&self, obj: &Object, span: Span) -> R<DefKind> {
        let (data, boxed) = self.args(obj, "command", span)?;
        let returns = obj
            .get("returns")
            .map(|r| self.type_name(r, Desc::fixed("'returns'"), true))
            .transpose()?;
        let generate = !self.flag(obj, "gen", false)?;
        let success_response = !self.flag(obj, "success-response", false)?;
        let allow_oob = self.flag(obj, "allow-oob", true)?;
        let allow_preconfig = self.flag(obj, "allow-preconfig", true)?;
        let coroutine = self.flag(obj, "coroutine", true)?;
        if allow_oob && coroutine {
            let k = obj.key("coroutine").map_or(span, |k| k.span);
            return Err(
                err(k, "'allow-oob' and 'coroutine' cannot be used together")
                    .with_label("conflicts with 'allow-oob'")
                    .with_note(
                        "out-of-band commands run outside the main loop, where coroutines cannot",
                    ),
            );
        }
        Ok(DefKind::Command {
            data,
            boxed,
            returns,
            generate,
            success_response,
            allow_oob,
            allow_preconfig,
            coroutine,
        })
    }

    fn event_def(&self, obj: &Object, span: Span) -> R<DefKind> {
        let (data, boxed) = self.args(obj, "event", span)?;
        Ok(DefKind::Event { data, boxed })
    }

    /// A flag that may only take one value: returns whether it is present.
    fn flag(&self, obj: &Object, key: &str, only: bool) -> R<bool> {
        match obj.get(key) {
            None => Ok(false),
            // QEMU 1.x wrote 'gen': 'no' and 'success-response': 'no'.
            Some(Spanned {
                node: Value::Str(s),
                span,
            }) if !only && s == "no" && self.profile.holds(Rule::StringFlags) => {
                self.notes.borrow_mut().push(
                    Rule::StringFlags.note(*span, format!("legacy '{key}': 'no' (now false)")),
                );
                Ok(true)
            }
            Some(Spanned {
                node: Value::Bool(b),
                ..
            }) if *b == only => Ok(true),
            Some(v) if v.node.as_str() == Some("no") => {
                Err(err(v.span, format!("'{key}' may only be {only}"))
                    .with_label("a string here")
                    .with_note(format!("write '{key}': {only}, or leave it out"))
                    .with_note(self.profile.older("QEMU 1.x wrote 'no'")))
            }
            Some(v) => Err(err(v.span, format!("'{key}' may only be {only}"))
                .with_label(if matches!(v.node, Value::Bool(_)) {
                    "leave the key out instead".to_string()
                } else {
                    format!("{} here", v.node.kind())
                })
                .with_note(format!(
                    "'{key}' is a flag: write '{key}': {only}, or leave it out"
                ))),
        }
    }

    fn cond_of(&self, obj: &Object, what: Desc<'_>) -> R<Option<Cond>> {
        obj.get("if").map(|c| self.cond(c, what)).transpose()
    }

    /// Nesting is bounded by the syntax pre-scan, so the recursion is too.
    fn cond(&self, v: &Spanned<Value>, what: Desc<'_>) -> R<Cond> {
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

    fn features(&self, obj: &Object) -> R<Vec<Feature>> {
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
            names::check(&name, NameKind::Member, false, false).map_err(|why| {
                err(span, format!("invalid feature name '{name}'"))
                    .with_label("bad name")
                    .with_note(why)
            })?;
            if let Some(prev) = out.iter().find(|f| names::c_name_eq(&f.name, &name)) {
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

/// Keys are checked before they are read, so a missing one cannot happen;
/// the caller still gets an error instead of a panic.
fn unreachable_missing() -> Diagnostic {
    Diagnostic::error_unlocated("internal error: a required key vanished after it was checked")
}
