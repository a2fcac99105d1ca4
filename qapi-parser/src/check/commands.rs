//! Commands and events: `data` (inline or named, `boxed`), `returns`,
//! the flags (`gen`, `success-response`, `allow-oob`, `allow-preconfig`,
//! `coroutine`), and, once the schema is built, that arguments are an
//! object type and that a command returns an object or an array of them
//! unless a pragma lists it.
//!
//! By release: [`Rule::StringFlags`] (`'no'` for false, 1.x),
//! [`Rule::UncheckedReturns`] (non-object returns before 2.9).

use super::article;
use crate::diag::Diagnostic;
use crate::expr::{Checker, Data, Def, DefKind, Desc, R, TypeName, err};
use crate::ir::{Entity, EntityId, EntityKind, members_with_owner};
use crate::profile::Rule;
use crate::schema::Builder;
use crate::source::Span;
use crate::syntax::{Object, Spanned, Value};

impl Checker<'_> {
    pub(crate) fn command_def(&self, obj: &Object, span: Span) -> R<DefKind> {
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

    pub(crate) fn event_def(&self, obj: &Object, span: Span) -> R<DefKind> {
        let (data, boxed) = self.args(obj, "event", span)?;
        Ok(DefKind::Event { data, boxed })
    }

    /// `data` and `boxed`, shared by commands and events.
    pub(crate) fn args(&self, obj: &Object, meta: &str, span: Span) -> R<(Option<Data>, bool)> {
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

    /// A flag that may only take one value: returns whether it is present.
    pub(crate) fn flag(&self, obj: &Object, key: &str, only: bool) -> R<bool> {
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
}

impl Builder<'_> {
    pub(crate) fn check_args(
        &mut self,
        es: &[Entity],
        id: EntityId,
        def: &Def,
        data: Option<&Data>,
    ) {
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

    pub(crate) fn check_returns(&mut self, es: &[Entity], id: EntityId, def: &Def, r: &TypeName) {
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
}
