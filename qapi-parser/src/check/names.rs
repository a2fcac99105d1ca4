//! Names of definitions: commands in lower case with `-`, types in
//! CamelCase, events in upper case, none starting with `q_` or using a
//! reserved name; and the pragma exceptions that excuse member names.
//! The naming rules themselves are [`crate::names`]; members and enum
//! values are checked by them where they are read ([`super::members`],
//! [`super::enums`]).
//!
//! By release: [`Rule::FreeNames`]
//! (names that break the rules of 6.0, accepted with a note before it).

use crate::expr::{Checker, R, err};
use crate::names::NameKind;
use crate::profile::Rule;
use crate::source::Span;

impl Checker<'_> {
    pub(crate) fn check_definition_name(&self, name: &str, meta: &str, span: Span) -> R<()> {
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
            && crate::names::check(name, kind, false, false).is_err()
        {
            self.notes
                .borrow_mut()
                .push(Rule::FreeNames.note(span, format!("legacy command name '{name}'")));
        }
        let permissive = meta == "command" && (excepted || self.profile.holds(Rule::FreeNames));
        crate::names::check(name, kind, permissive, false).map_err(|why| {
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

    pub(crate) fn is_member_exception(&self, name: &str) -> bool {
        self.profile.holds(Rule::FreeNames)
            || self.pragma.member_name_exceptions.iter().any(|n| n == name)
    }
}
