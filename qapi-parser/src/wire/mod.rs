//! A schema as the wire sees it: commands and events, and the types they
//! reach, by structure (JSON types, members, enum values, branches)
//! rather than by name. QEMU's introspection (`query-qmp-schema`)
//! numbers its types and QEMU renames types without changing the wire,
//! so two schemas are compared by what a client sends and receives; a
//! schema tree ([`WireSchema::from_schema`]) and a server's
//! introspection reply ([`WireSchema::from_introspection`]) give the
//! same model, and [`diff`] compares any two.

mod diff;
mod from_introspection;
mod from_schema;
mod positions;

pub use diff::{Change, ChangeKind, Diff, Flow, diff};
pub use positions::{Position, Visit};

pub use crate::JsonType;

use std::collections::BTreeMap;

/// The index of a type in a [`WireSchema`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TypeId(usize);

/// A schema's commands and events, and the types they reach.
#[derive(Debug, Clone, Default)]
pub struct WireSchema {
    types: Vec<WireType>,
    /// The schema's name of each type, where it has one (a model read
    /// from introspection has only numbers).
    names: std::collections::HashMap<TypeId, String>,
    /// The commands, by name.
    pub commands: BTreeMap<String, WireCommand>,
    /// The events, by name.
    pub events: BTreeMap<String, WireEvent>,
}

/// What a type is on the wire.
#[derive(Debug, Clone, PartialEq)]
pub enum WireType {
    /// A built-in type.
    Builtin(JsonType),
    /// An enum: its values.
    Enum(Vec<WireValue>),
    /// An array of the element type.
    Array(TypeId),
    /// An object: its members (a union's common ones), and for a union
    /// its tag and the members each tag value adds.
    Object {
        /// The members.
        members: Vec<WireMember>,
        /// The tag member, for a union.
        tag: Option<String>,
        /// The type adding each tag value's members.
        variants: Vec<WireVariant>,
    },
    /// An alternate: the types a value may have.
    Alternate(Vec<TypeId>),
}

/// The members a union adds for one value of its tag.
#[derive(Debug, Clone, PartialEq)]
pub struct WireVariant {
    /// The tag's value.
    pub case: String,
    /// The type whose members it adds.
    pub ty: TypeId,
    /// Whether it exists only under a build condition.
    pub conditional: bool,
}

/// An enum value.
#[derive(Debug, Clone, PartialEq)]
pub struct WireValue {
    /// The value.
    pub name: String,
    /// Its features.
    pub features: Vec<String>,
    /// Whether it exists only under a build condition.
    pub conditional: bool,
}

/// A member of an object.
#[derive(Debug, Clone, PartialEq)]
pub struct WireMember {
    /// The name.
    pub name: String,
    /// Whether it may be absent.
    pub optional: bool,
    /// Its type.
    pub ty: TypeId,
    /// Its features.
    pub features: Vec<String>,
    /// Whether it exists only under a build condition.
    pub conditional: bool,
}

/// A command.
#[derive(Debug, Clone, PartialEq)]
pub struct WireCommand {
    /// Its arguments (an object; empty without arguments).
    pub arguments: TypeId,
    /// What it returns (an empty object when nothing).
    pub returns: TypeId,
    /// Whether it may run out-of-band.
    pub allow_oob: bool,
    /// Its features.
    pub features: Vec<String>,
    /// Whether it exists only under a build condition.
    pub conditional: bool,
}

/// An event.
#[derive(Debug, Clone, PartialEq)]
pub struct WireEvent {
    /// Its data (an object; empty without data).
    pub data: TypeId,
    /// Its features.
    pub features: Vec<String>,
    /// Whether it exists only under a build condition.
    pub conditional: bool,
}

impl WireSchema {
    /// The type `id`.
    pub fn ty(&self, id: TypeId) -> &WireType {
        &self.types[id.0]
    }

    /// The schema's name of type `id` (`BlockInfo`, `q_obj_STOP-arg`):
    /// known for a model made [from a schema](WireSchema::from_schema),
    /// `None` for one read from introspection, which numbers its types.
    pub fn name(&self, id: TypeId) -> Option<&str> {
        self.names.get(&id).map(String::as_str)
    }

    /// How many types the commands and events reach.
    pub fn type_count(&self) -> usize {
        self.types.len()
    }

    fn push(&mut self, ty: WireType) -> TypeId {
        self.types.push(ty);
        TypeId(self.types.len() - 1)
    }

    fn set(&mut self, id: TypeId, ty: WireType) {
        self.types[id.0] = ty;
    }

    /// The empty object (arguments of a command without any).
    fn empty_object(&mut self) -> TypeId {
        self.push(WireType::Object {
            members: Vec::new(),
            tag: None,
            variants: Vec::new(),
        })
    }
}

impl WireSchema {
    /// The model in the form of QEMU's introspection (`query-qmp-schema`'s
    /// return value), types named by number as QEMU names them: what a
    /// server of this schema, built with every condition, would answer.
    /// [`WireSchema::from_introspection`] reads it back.
    pub fn to_introspection(&self) -> serde_json::Value {
        use serde_json::{Value, json};
        let name = |t: TypeId| Value::String(t.0.to_string());
        let features = |f: &[String]| Value::from(f.to_vec());
        let mut out =
            Vec::with_capacity(self.types.len() + self.commands.len() + self.events.len());
        for (n, c) in &self.commands {
            let mut e = json!({"name": n, "meta-type": "command",
                "arg-type": name(c.arguments), "ret-type": name(c.returns)});
            if c.allow_oob {
                e["allow-oob"] = true.into();
            }
            if !c.features.is_empty() {
                e["features"] = features(&c.features);
            }
            out.push(e);
        }
        for (n, ev) in &self.events {
            let mut e = json!({"name": n, "meta-type": "event", "arg-type": name(ev.data)});
            if !ev.features.is_empty() {
                e["features"] = features(&ev.features);
            }
            out.push(e);
        }
        for (i, ty) in self.types.iter().enumerate() {
            let id = TypeId(i);
            let e = match ty {
                WireType::Builtin(j) => {
                    let j = serde_json::to_value(j).unwrap_or(Value::Null);
                    json!({"name": name(id), "meta-type": "builtin", "json-type": j})
                }
                WireType::Enum(values) => {
                    let members: Vec<Value> = values
                        .iter()
                        .map(|v| {
                            let mut m = json!({"name": v.name});
                            if !v.features.is_empty() {
                                m["features"] = features(&v.features);
                            }
                            m
                        })
                        .collect();
                    let names: Vec<&str> = values.iter().map(|v| v.name.as_str()).collect();
                    json!({"name": name(id), "meta-type": "enum", "members": members, "values": names})
                }
                WireType::Array(e) => {
                    json!({"name": name(id), "meta-type": "array", "element-type": name(*e)})
                }
                WireType::Object {
                    members,
                    tag,
                    variants,
                } => {
                    let members: Vec<Value> = members
                        .iter()
                        .map(|m| {
                            let mut v = json!({"name": m.name, "type": name(m.ty)});
                            if m.optional {
                                v["default"] = Value::Null;
                            }
                            if !m.features.is_empty() {
                                v["features"] = features(&m.features);
                            }
                            v
                        })
                        .collect();
                    let mut e =
                        json!({"name": name(id), "meta-type": "object", "members": members});
                    if let Some(tag) = tag {
                        e["tag"] = tag.clone().into();
                        let variants: Vec<Value> = variants
                            .iter()
                            .map(|v| json!({"case": v.case, "type": name(v.ty)}))
                            .collect();
                        e["variants"] = variants.into();
                    }
                    e
                }
                WireType::Alternate(types) => {
                    let members: Vec<Value> =
                        types.iter().map(|t| json!({"type": name(*t)})).collect();
                    json!({"name": name(id), "meta-type": "alternate", "members": members})
                }
            };
            out.push(e);
        }
        Value::Array(out)
    }
}
