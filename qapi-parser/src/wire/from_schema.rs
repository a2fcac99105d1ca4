//! The wire model of a checked schema, as QEMU's introspection would
//! describe it (`scripts/qapi/introspect.py`): every integer type is
//! `int`, a union is an object with a tag and variants, a command without
//! arguments takes an empty object.

use super::{
    JsonType, TypeId, WireCommand, WireEvent, WireMember, WireSchema, WireType, WireValue,
    WireVariant,
};
use crate::{EntityId, EntityKind, Feature, Schema};
use std::collections::HashMap;

fn features(f: &[Feature]) -> Vec<String> {
    f.iter().map(|f| f.name.clone()).collect()
}

struct Builder<'s> {
    schema: &'s Schema,
    out: WireSchema,
    done: HashMap<EntityId, TypeId>,
}

impl Builder<'_> {
    fn ty(&mut self, id: EntityId) -> TypeId {
        if let Some(&t) = self.done.get(&id) {
            return t;
        }
        // A placeholder first: types may refer to themselves.
        let t = self.out.push(WireType::Builtin(JsonType::Value));
        self.done.insert(id, t);
        let schema = self.schema;
        self.out.names.insert(t, schema.entity(id).name.clone());
        let ty = match &schema.entity(id).kind {
            EntityKind::Builtin { builtin } => WireType::Builtin(builtin.json_type()),
            EntityKind::Enum(e) => WireType::Enum(
                e.values
                    .iter()
                    .map(|v| WireValue {
                        name: v.name.clone(),
                        features: features(&v.features),
                        conditional: v.cond.is_some(),
                    })
                    .collect(),
            ),
            EntityKind::Array(a) => WireType::Array(self.ty(a.element.id)),
            EntityKind::Struct(_) => self.object(id, None, Vec::new()),
            EntityKind::Union(u) => {
                // A branch exists under its own condition and its tag
                // value's.
                let value_cond = |name: &str| match &schema.entity(u.discriminator_type.id).kind {
                    EntityKind::Enum(e) => {
                        e.values.iter().any(|v| v.name == name && v.cond.is_some())
                    }
                    _ => false,
                };
                let variants = u
                    .branches
                    .iter()
                    .map(|b| WireVariant {
                        case: b.name.clone(),
                        ty: self.ty(b.ty.id),
                        conditional: b.cond.is_some() || value_cond(&b.name),
                    })
                    .collect();
                self.object(u.base.id, Some(u.discriminator.clone()), variants)
            }
            EntityKind::Alternate(a) => {
                WireType::Alternate(a.branches.iter().map(|b| self.ty(b.ty.id)).collect())
            }
            EntityKind::Command(_) | EntityKind::Event(_) => WireType::Builtin(JsonType::Value),
        };
        self.out.set(t, ty);
        t
    }

    fn object(
        &mut self,
        id: EntityId,
        tag: Option<String>,
        variants: Vec<WireVariant>,
    ) -> WireType {
        let members = self
            .schema
            .all_members(id)
            .into_iter()
            .map(|m| WireMember {
                name: m.name.clone(),
                optional: m.optional,
                ty: self.ty(m.ty.id),
                features: features(&m.features),
                conditional: m.cond.is_some(),
            })
            .collect();
        WireType::Object {
            members,
            tag,
            variants,
        }
    }
}

impl WireSchema {
    /// The wire model of a checked schema.
    pub fn from_schema(schema: &Schema) -> WireSchema {
        Self::build(schema, |_| true)
    }

    /// The wire model of the commands and events `names` of a checked
    /// schema only (and the types they reach): cheaper than
    /// [`WireSchema::from_schema`] when a few are to be compared.
    pub fn from_schema_only(schema: &Schema, names: &[&str]) -> WireSchema {
        Self::build(schema, |name| names.contains(&name))
    }

    fn build(schema: &Schema, keep: impl Fn(&str) -> bool) -> WireSchema {
        let mut b = Builder {
            schema,
            out: WireSchema::default(),
            done: HashMap::new(),
        };
        for (_, e) in schema.iter() {
            if !keep(&e.name) {
                continue;
            }
            match &e.kind {
                EntityKind::Command(c) => {
                    let arguments = match &c.arguments {
                        Some(a) => b.ty(a.id),
                        None => b.out.empty_object(),
                    };
                    let returns = match &c.returns {
                        Some(r) => b.ty(r.id),
                        None => b.out.empty_object(),
                    };
                    let command = WireCommand {
                        arguments,
                        returns,
                        allow_oob: c.allow_oob,
                        features: features(&e.features),
                        conditional: e.cond.is_some(),
                    };
                    b.out.commands.insert(e.name.clone(), command);
                }
                EntityKind::Event(ev) => {
                    let data = match &ev.data {
                        Some(d) => b.ty(d.id),
                        None => b.out.empty_object(),
                    };
                    let event = WireEvent {
                        data,
                        features: features(&e.features),
                        conditional: e.cond.is_some(),
                    };
                    b.out.events.insert(e.name.clone(), event);
                }
                _ => {}
            }
        }
        b.out
    }
}
