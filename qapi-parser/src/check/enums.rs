//! Enums: the values (names, `if`, `features`), the `prefix`, values
//! that clash.
//!
//! By release: [`Rule::FreeNames`] for values in upper case or with
//! `_` or `.`.

use super::unreachable_missing;
use crate::expr::{Checker, DefKind, Desc, R, err};
use crate::ir::EnumValue;
use crate::names::NameKind;
use crate::profile::Rule;
use crate::syntax::{Object, Spanned, Value};

impl Checker<'_> {
    pub(crate) fn enum_def(&self, name: &str, obj: &Object) -> R<DefKind> {
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
            let checked = crate::names::check(&vname, NameKind::Member, permissive, true);
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
            }) = values
                .iter()
                .find(|v| crate::names::c_name_eq(&v.name, &vname))
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
}
