//! The wire model of a server's `query-qmp-schema` reply (saved as JSON:
//! the reply, or its `return` value).

use super::{
    JsonType, TypeId, WireCommand, WireEvent, WireMember, WireSchema, WireType, WireValue,
    WireVariant,
};
use serde_json::Value;
use std::collections::HashMap;

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(String::from)
                .collect()
        })
        .unwrap_or_default()
}

/// The elements of the array `key` of `v` (none when it has no such
/// array).
fn list<'v>(v: &'v Value, key: &str) -> impl Iterator<Item = &'v Value> {
    v.get(key).and_then(Value::as_array).into_iter().flatten()
}

fn str_of<'v>(v: &'v Value, key: &str) -> Result<&'v str, String> {
    v.get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| format!("an entity without a string '{key}': {v}"))
}

struct Builder<'v> {
    by_name: HashMap<&'v str, &'v Value>,
    out: WireSchema,
    done: HashMap<&'v str, TypeId>,
}

impl<'v> Builder<'v> {
    fn ty(&mut self, name: &'v str) -> Result<TypeId, String> {
        if let Some(&t) = self.done.get(name) {
            return Ok(t);
        }
        let e = *self
            .by_name
            .get(name)
            .ok_or_else(|| format!("no entity named '{name}'"))?;
        let t = self.out.push(WireType::Builtin(JsonType::Value));
        self.done.insert(name, t);
        let ty = match str_of(e, "meta-type")? {
            "builtin" => WireType::Builtin(match str_of(e, "json-type")? {
                "string" => JsonType::String,
                "int" => JsonType::Int,
                "number" => JsonType::Number,
                "boolean" => JsonType::Boolean,
                "null" => JsonType::Null,
                "object" => JsonType::Object,
                "array" => JsonType::Array,
                _ => JsonType::Value,
            }),
            "enum" => {
                let values = match e.get("members").and_then(Value::as_array) {
                    Some(members) => members
                        .iter()
                        .map(|m| {
                            Ok(WireValue {
                                name: str_of(m, "name")?.to_string(),
                                features: strings(m.get("features")),
                                conditional: false,
                            })
                        })
                        .collect::<Result<_, String>>()?,
                    // Before QEMU 6.2: values only.
                    None => strings(e.get("values"))
                        .into_iter()
                        .map(|name| WireValue {
                            name,
                            features: Vec::new(),
                            conditional: false,
                        })
                        .collect(),
                };
                WireType::Enum(values)
            }
            "array" => WireType::Array(self.ty(str_of(e, "element-type")?)?),
            "object" => {
                let mut members = Vec::new();
                for m in list(e, "members") {
                    members.push(WireMember {
                        name: str_of(m, "name")?.to_string(),
                        // Introspection marks an optional member with a
                        // default (null when it has none).
                        optional: m.get("default").is_some(),
                        ty: self.ty(str_of(m, "type")?)?,
                        features: strings(m.get("features")),
                        conditional: false,
                    });
                }
                let mut variants = Vec::new();
                for v in list(e, "variants") {
                    variants.push(WireVariant {
                        case: str_of(v, "case")?.to_string(),
                        ty: self.ty(str_of(v, "type")?)?,
                        conditional: false,
                    });
                }
                WireType::Object {
                    members,
                    tag: e.get("tag").and_then(Value::as_str).map(String::from),
                    variants,
                }
            }
            "alternate" => {
                let mut types = Vec::new();
                for m in list(e, "members") {
                    types.push(self.ty(str_of(m, "type")?)?);
                }
                WireType::Alternate(types)
            }
            other => return Err(format!("'{name}' is a {other}, not a type")),
        };
        self.out.set(t, ty);
        Ok(t)
    }
}

impl WireSchema {
    /// The wire model of a `query-qmp-schema` reply: the reply
    /// (`{"return": [...]}`) or its value (`[...]`). An error names what
    /// in it is not introspection.
    pub fn from_introspection(reply: &Value) -> Result<WireSchema, String> {
        let entities = reply
            .get("return")
            .unwrap_or(reply)
            .as_array()
            .ok_or("not a query-qmp-schema reply: expected an array of entities")?;
        let mut by_name = HashMap::new();
        for e in entities {
            by_name.insert(str_of(e, "name")?, e);
        }
        let mut b = Builder {
            by_name,
            out: WireSchema::default(),
            done: HashMap::new(),
        };
        for e in entities {
            let name = str_of(e, "name")?;
            match str_of(e, "meta-type")? {
                "command" => {
                    let command = WireCommand {
                        arguments: b.ty(str_of(e, "arg-type")?)?,
                        returns: b.ty(str_of(e, "ret-type")?)?,
                        allow_oob: e.get("allow-oob").and_then(Value::as_bool).unwrap_or(false),
                        features: strings(e.get("features")),
                        conditional: false,
                    };
                    b.out.commands.insert(name.to_string(), command);
                }
                "event" => {
                    let event = WireEvent {
                        data: b.ty(str_of(e, "arg-type")?)?,
                        features: strings(e.get("features")),
                        conditional: false,
                    };
                    b.out.events.insert(name.to_string(), event);
                }
                _ => {}
            }
        }
        Ok(b.out)
    }
}
