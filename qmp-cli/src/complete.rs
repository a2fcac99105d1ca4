//! Tab completion from the live server's schema: command names, argument
//! names (nested, after a dot), enum values and `true`/`false` after an
//! `=`. For the guest agent (no introspection), its command names from
//! `guest-info`.

use qmp_client::{JsonKind, ServerSchema};

/// What completion knows.
pub(crate) enum Source {
    /// A QMP server's schema.
    Qmp(std::sync::Arc<ServerSchema>),
    /// A guest agent's command names (from `guest-info`), and each
    /// command's argument names (from the bindings' docs table).
    Agent(Vec<String>, std::collections::HashMap<String, Vec<String>>),
    /// The human monitor: nothing to complete.
    None,
}

/// The completions of `line` up to `pos`: where the completed text
/// starts, and the candidates (each replacing from there).
pub(crate) fn complete(source: &Source, line: &str, pos: usize) -> (usize, Vec<String>) {
    let before = &line[..pos.min(line.len())];
    let start = before.rfind(char::is_whitespace).map_or(0, |i| i + 1);
    let word = &before[start..];
    let first = before[..start].split_whitespace().next();
    let sorted = |mut v: Vec<String>| {
        v.sort();
        v.dedup();
        v
    };
    match (source, first) {
        (Source::Qmp(schema), None) => {
            let names = schema.commands().filter(|c| c.starts_with(word));
            (start, sorted(names.map(String::from).collect()))
        }
        (Source::Agent(names, _), None) => {
            let names = names.iter().filter(|c| c.starts_with(word)).cloned();
            (start, sorted(names.collect()))
        }
        (Source::Qmp(schema), Some(command)) => match word.split_once('=') {
            // A value: the member's enum values, or a boolean's.
            Some((key, prefix)) => {
                let Some(member) = schema.argument(command, key) else {
                    return (pos, Vec::new());
                };
                let mut values: Vec<String> = match member.ty.json_kind() {
                    JsonKind::Boolean => vec!["true".into(), "false".into()],
                    _ => member
                        .ty
                        .values()
                        .map(|v| v.map(String::from).collect())
                        .unwrap_or_default(),
                };
                values.retain(|v| v.starts_with(prefix));
                (start + key.len() + 1, sorted(values))
            }
            // A key: the members of the object at its parent path.
            None => {
                let (parent, prefix) = match word.rsplit_once('.') {
                    Some((parent, prefix)) => (parent, prefix),
                    None => ("", word),
                };
                let Some(ty) = schema.argument_type(command, parent) else {
                    return (pos, Vec::new());
                };
                let names = ty
                    .member_names()
                    .into_iter()
                    .filter(|n| n.starts_with(prefix))
                    .map(|n| {
                        let path = if parent.is_empty() {
                            n.to_string()
                        } else {
                            format!("{parent}.{n}")
                        };
                        let object = schema
                            .argument(command, &path)
                            .is_some_and(|m| m.ty.json_kind() == JsonKind::Object);
                        format!("{n}{}", if object { "." } else { "=" })
                    })
                    .collect();
                let from = if parent.is_empty() {
                    start
                } else {
                    start + parent.len() + 1
                };
                (from, sorted(names))
            }
        },
        (Source::Agent(_, arguments), Some(command)) if !word.contains('=') => {
            let names = arguments
                .get(command)
                .into_iter()
                .flatten()
                .filter(|a| a.starts_with(word))
                .map(|a| format!("{a}="));
            (start, sorted(names.collect()))
        }
        _ => (pos, Vec::new()),
    }
}
