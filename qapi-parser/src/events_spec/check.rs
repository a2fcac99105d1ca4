//! Merging the events spec into a schema, and the cross-check.
//!
//! Each disagreement is a warning located in one file with the matching
//! place in the other as a related location: events in one and not the
//! other, members missing on either side, optionality and JSON types that
//! disagree, and examples that do not fit the schema's types.

use super::{Json, JsonValue, SpecEvent, SpecExample, SpecMember};
use crate::diag::Diagnostic;
use crate::ir::{EntityId, EntityKind, JsonType, Member, Origin, Schema};
use crate::source::Span;
use std::collections::HashMap;

/// Attaches each event of the events spec to the schema's event of the
/// same name ([`Entity::events_spec`](crate::Entity::events_spec)) and
/// returns the cross-check's warnings. The spec's file must be in
/// `schema.sources` (so that the warnings can be rendered).
pub fn merge(schema: &mut Schema, events: Vec<SpecEvent>) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let mut by_name: HashMap<&str, &SpecEvent> = HashMap::new();
    for e in &events {
        by_name.entry(e.name.as_str()).or_insert(e);
    }
    let spec_file = events.first().map(|e| e.span.file);
    // Schema events, in schema order, checked against their entries.
    for (_, entity) in schema.definitions() {
        let EntityKind::Event(ev) = &entity.kind else {
            continue;
        };
        let Some(def) = entity.span else { continue };
        let Some(spec) = by_name.get(entity.name.as_str()) else {
            let mut d = Diagnostic::warning(
                def,
                format!("event '{}' is not in the events spec", entity.name),
            )
            .with_label("defined here only");
            if let Some(file) = spec_file {
                d = d.with_note(format!(
                    "{} has no entry for it",
                    schema.sources.file(file).display
                ));
            }
            out.push(d);
            continue;
        };
        let cx = Cx {
            schema,
            event: &entity.name,
            out: &mut out,
        };
        cx.event(def, ev.data.as_ref().map(|t| t.id), spec);
    }
    // Entries the schema does not have, in file order.
    for e in &events {
        let known = schema
            .lookup(&e.name)
            .is_some_and(|x| matches!(x.kind, EntityKind::Event(_)));
        if !known {
            out.push(
                Diagnostic::warning(
                    e.span,
                    format!("event '{}' of the events spec is not in the schema", e.name),
                )
                .with_label("described here only"),
            );
        }
    }
    for e in events {
        if let Some(id) = schema.id_of(&e.name) {
            let entity = &mut schema.entities[id.0 as usize];
            if matches!(entity.kind, EntityKind::Event(_)) && entity.events_spec.is_none() {
                entity.events_spec = Some(e);
            }
        }
    }
    out
}

struct Cx<'a> {
    schema: &'a Schema,
    event: &'a str,
    out: &'a mut Vec<Diagnostic>,
}

impl Cx<'_> {
    fn event(mut self, def: Span, data: Option<EntityId>, spec: &SpecEvent) {
        let members = data.map(|t| members(self.schema, t)).unwrap_or_default();
        if let Some(none) = spec.data_none {
            if !members.is_empty() {
                let names: Vec<_> = members.iter().map(|m| format!("'{}'", m.name)).collect();
                self.out.push(
                    Diagnostic::warning(
                        none,
                        format!(
                            "the events spec says '{}' has no data; the schema gives it {}",
                            self.event,
                            names.join(", ")
                        ),
                    )
                    .with_label("no data, says the spec")
                    .with_related(def, "the schema's definition"),
                );
            }
        } else if spec.members.is_empty() && !members.is_empty() {
            self.out.push(
                Diagnostic::warning(
                    spec.span,
                    format!(
                        "the events spec lists no data for '{}'; the schema has members",
                        self.event
                    ),
                )
                .with_label("no 'Data:' list")
                .with_related(def, "the schema's definition"),
            );
        } else {
            self.members_agree(&spec.members, &members, spec.span, def, "");
        }
        for ex in &spec.examples {
            self.example(ex, data, def);
        }
    }

    /// Compares one level of members; `path` names the enclosing member
    /// (`"server."`) in messages.
    fn members_agree(
        &mut self,
        spec: &[SpecMember],
        schema: &[&Member],
        spec_owner: Span,
        schema_owner: Span,
        path: &str,
    ) {
        let event = self.event;
        for m in spec {
            let Some(sm) = schema.iter().find(|s| s.name == m.name) else {
                self.out.push(
                    Diagnostic::warning(
                        m.span,
                        format!(
                            "member '{path}{}' of '{event}' is not in the schema",
                            m.name
                        ),
                    )
                    .with_label("described here only")
                    .with_related(schema_owner, "the schema's definition"),
                );
                continue;
            };
            if m.optional != sm.optional {
                let (spec_says, schema_says) = if m.optional {
                    ("optional", "required")
                } else {
                    ("required", "optional")
                };
                self.out.push(
                    Diagnostic::warning(
                        m.span,
                        format!(
                            "member '{path}{}' of '{event}' is {spec_says} in the events spec but {schema_says} in the schema",
                            m.name
                        ),
                    )
                    .with_label(format!("{spec_says} here"))
                    .with_related(sm.span, format!("{schema_says} in the schema")),
                );
            }
            if let Some(jt) = &m.json_type {
                let wire = self.json_type(sm.ty.id);
                if !compatible(jt, wire) {
                    self.out.push(
                        Diagnostic::warning(
                            m.json_type_span.unwrap_or(m.span),
                            format!(
                                "member '{path}{}' of '{event}' is json-{jt} in the events spec, but its schema type '{}' is {}",
                                m.name,
                                sm.ty.name,
                                describe(wire)
                            ),
                        )
                        .with_label("this JSON type")
                        .with_related(sm.span, format!("'{}' in the schema", sm.ty.name)),
                    );
                }
            }
            if !m.members.is_empty() {
                let inner = members(self.schema, sm.ty.id);
                if !inner.is_empty() {
                    let nested = format!("{path}{}.", m.name);
                    self.members_agree(&m.members, &inner, m.span, sm.span, &nested);
                }
            }
        }
        for sm in schema {
            if !spec.iter().any(|m| m.name == sm.name) {
                self.out.push(
                    Diagnostic::warning(
                        sm.span,
                        format!(
                            "member '{path}{}' of '{event}' is not in the events spec",
                            sm.name
                        ),
                    )
                    .with_label("defined here only")
                    .with_related(spec_owner, "the events spec's entry"),
                );
            }
        }
    }

    /// The JSON type of a schema type on the wire (`None` when it can be
    /// several: an alternate).
    fn json_type(&self, ty: EntityId) -> Option<JsonType> {
        Some(match &self.schema.entity(ty).kind {
            EntityKind::Builtin { builtin } => builtin.json_type(),
            EntityKind::Enum(_) => JsonType::String,
            EntityKind::Struct(_) | EntityKind::Union(_) => JsonType::Object,
            EntityKind::Array(_) => JsonType::Array,
            EntityKind::Alternate(_) | EntityKind::Command(_) | EntityKind::Event(_) => {
                return None;
            }
        })
    }

    fn example(&mut self, ex: &SpecExample, data: Option<EntityId>, def: Span) {
        let Some(tree) = &ex.tree else { return };
        let event = self.event;
        if tree.get("timestamp").is_none() {
            self.out.push(
                Diagnostic::warning(
                    ex.span,
                    format!("the example of '{event}' has no 'timestamp'"),
                )
                .with_label("no timestamp")
                .with_note("QEMU sends one with every event"),
            );
        }
        if let JsonValue::Object(keys) = &tree.value {
            for (k, span, _) in keys {
                if !matches!(k.as_str(), "event" | "data" | "timestamp") {
                    self.out.push(
                        Diagnostic::warning(
                            *span,
                            format!("the example of '{event}' has a key '{k}' events do not have"),
                        )
                        .with_label("not part of an event message"),
                    );
                }
            }
        }
        match (tree.get("data"), data) {
            (Some(value), Some(ty)) => self.value(value, ty, "data", def),
            (Some(value), None) => self.out.push(
                Diagnostic::warning(
                    value.span,
                    format!("the example of '{event}' has data; the schema's event has none"),
                )
                .with_label("unexpected data")
                .with_related(def, "the schema's definition"),
            ),
            (None, Some(ty)) if members(self.schema, ty).iter().any(|m| !m.optional) => {
                self.out.push(
                    Diagnostic::warning(
                        ex.span,
                        format!("the example of '{event}' has no data; the schema requires some"),
                    )
                    .with_label("no 'data'")
                    .with_related(def, "the schema's definition"),
                );
            }
            (None, _) => {}
        }
    }

    /// Checks an example value against a schema type; `path` says where
    /// the value is (`data.server.host`).
    fn value(&mut self, v: &Json, ty: EntityId, path: &str, named_at: Span) {
        let schema = self.schema;
        let entity = schema.entity(ty);
        let event = self.event;
        // Where to point for the type: its definition, or where a
        // built-in or implicit type is named.
        let type_at = match entity.origin {
            Origin::Explicit => entity.span.unwrap_or(named_at),
            _ => named_at,
        };
        let type_name = match entity.origin {
            Origin::EventData(owner) => format!("the data of '{}'", schema.entity(owner).name),
            _ => format!("'{}'", entity.name),
        };
        let mismatch = |this: &mut Self, expected: &str| {
            this.out.push(
                Diagnostic::warning(
                    v.span,
                    format!(
                        "'{path}' in the example of '{event}' is {}, but its schema type {type_name} is {expected}",
                        v.kind(),
                    ),
                )
                .with_label(format!("{} here", v.kind()))
                .with_related(type_at, type_name.clone()),
            );
        };
        match &entity.kind {
            EntityKind::Builtin { builtin } => {
                let ok = matches!(
                    (builtin.json_type(), &v.value),
                    (JsonType::String, JsonValue::String(_))
                        | (JsonType::Int, JsonValue::Number(_, true))
                        | (JsonType::Number, JsonValue::Number(..))
                        | (JsonType::Boolean, JsonValue::Bool(_))
                        | (JsonType::Null, JsonValue::Null)
                        | (JsonType::Value, _)
                );
                if !ok {
                    mismatch(self, describe(Some(builtin.json_type())));
                }
            }
            EntityKind::Enum(e) => match &v.value {
                JsonValue::String(s) if !e.values.iter().any(|x| x.name == *s) => {
                    self.out.push(
                        Diagnostic::warning(
                            v.span,
                            format!(
                                "'{path}' in the example of '{event}' is '{s}', which is not a value of {type_name}",
                            ),
                        )
                        .with_label("unknown value")
                        .with_related(type_at, type_name.clone()),
                    );
                }
                JsonValue::String(_) => {}
                _ => mismatch(self, "a string"),
            },
            EntityKind::Array(a) => match &v.value {
                JsonValue::Array(items) => {
                    for (i, item) in items.iter().enumerate() {
                        self.value(item, a.element.id, &format!("{path}[{i}]"), named_at);
                    }
                }
                _ => mismatch(self, "an array"),
            },
            EntityKind::Struct(_) | EntityKind::Union(_) => {
                let JsonValue::Object(keys) = &v.value else {
                    mismatch(self, "an object");
                    return;
                };
                let mut members = members(self.schema, ty);
                if let EntityKind::Union(u) = &entity.kind {
                    let tag = v.get(&u.discriminator).and_then(|t| match &t.value {
                        JsonValue::String(s) => Some(s.as_str()),
                        _ => None,
                    });
                    if let Some(b) = u.branches.iter().find(|b| Some(b.name.as_str()) == tag) {
                        members.extend(schema.all_members(b.ty.id));
                    }
                }
                for (k, kspan, value) in keys {
                    match members.iter().find(|m| m.name == *k) {
                        Some(m) => self.value(value, m.ty.id, &format!("{path}.{k}"), m.span),
                        None => self.out.push(
                            Diagnostic::warning(
                                *kspan,
                                format!(
                                    "'{path}.{k}' in the example of '{event}' is not a member of {type_name}",
                                ),
                            )
                            .with_label("unknown member")
                            .with_related(type_at, type_name.clone()),
                        ),
                    }
                }
                for m in members {
                    if !m.optional && !keys.iter().any(|(k, _, _)| *k == m.name) {
                        self.out.push(
                            Diagnostic::warning(
                                v.span,
                                format!(
                                    "'{path}' in the example of '{event}' lacks the required member '{}'",
                                    m.name
                                ),
                            )
                            .with_label(format!("no '{}'", m.name))
                            .with_related(m.span, "required in the schema"),
                        );
                    }
                }
            }
            EntityKind::Alternate(a) => {
                let want = match &v.value {
                    JsonValue::Object(_) => Some(JsonType::Object),
                    JsonValue::Array(_) => Some(JsonType::Array),
                    JsonValue::String(_) => Some(JsonType::String),
                    JsonValue::Number(_, true) => Some(JsonType::Int),
                    JsonValue::Number(_, false) => Some(JsonType::Number),
                    JsonValue::Bool(_) => Some(JsonType::Boolean),
                    JsonValue::Null => Some(JsonType::Null),
                };
                let branch = a.branches.iter().find(|b| {
                    let jt = self.json_type(b.ty.id);
                    jt == want || (want == Some(JsonType::Int) && jt == Some(JsonType::Number))
                });
                match branch {
                    Some(b) => self.value(v, b.ty.id, path, named_at),
                    None => mismatch(self, "an alternate without a branch for it"),
                }
            }
            EntityKind::Command(_) | EntityKind::Event(_) => {}
        }
    }
}

/// The members of an object type (a struct; for a union its base: the
/// spec describes the common part).
fn members(schema: &Schema, ty: EntityId) -> Vec<&Member> {
    match &schema.entity(ty).kind {
        EntityKind::Struct(_) => schema.all_members(ty),
        EntityKind::Union(u) => schema.all_members(u.base.id),
        _ => Vec::new(),
    }
}

/// Whether the events spec's `json-TYPE` fits a schema type's JSON type.
fn compatible(spec: &str, wire: Option<JsonType>) -> bool {
    let Some(wire) = wire else { return true };
    wire == JsonType::Value
        || match spec {
            "string" => wire == JsonType::String,
            "int" => wire == JsonType::Int,
            // json-number covers integers too (JSON has one number type).
            "number" => matches!(wire, JsonType::Int | JsonType::Number),
            "bool" | "boolean" => wire == JsonType::Boolean,
            "object" => wire == JsonType::Object,
            "array" => wire == JsonType::Array,
            "null" => wire == JsonType::Null,
            _ => true,
        }
}

fn describe(wire: Option<JsonType>) -> &'static str {
    match wire {
        Some(JsonType::String) => "a JSON string",
        Some(JsonType::Int) => "a JSON integer",
        Some(JsonType::Number) => "a JSON number",
        Some(JsonType::Boolean) => "a JSON boolean",
        Some(JsonType::Null) => "JSON null",
        Some(JsonType::Object) => "a JSON object",
        Some(JsonType::Array) => "a JSON array",
        Some(JsonType::Value) | None => "any JSON value",
    }
}
