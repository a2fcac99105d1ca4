//! Documentation comments: the symbol a comment names and its sections
//! (per expression), and, once the schema is built, that every member,
//! value, branch and feature is documented and that everything
//! documented exists.
//!
//! By release: [`Rule::OldDocLayouts`] (the layouts before the 9.1
//! parser). The doc parser's own rules (headings, line width, sentence
//! spacing) are in [`crate::doc`].

use super::suggest;
use crate::diag::Diagnostic;
use crate::doc::{Doc, SectionKind};
use crate::expr::{Checker, R, err};
use crate::ir::{Entity, EntityKind, Origin, TypeRef};
use crate::profile::Rule;
use crate::schema::Builder;
use crate::source::Span;
use crate::syntax::Object;

impl Checker<'_> {
    pub(crate) fn check_doc_sections(&self, doc: &Doc, meta: &str, obj: &Object) -> R<()> {
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
}

impl Builder<'_> {
    /// With a documentation comment, every member, value, branch and
    /// feature must be documented, and everything documented must exist.
    pub(crate) fn connect_docs(&mut self, es: &mut [Entity]) {
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
}
