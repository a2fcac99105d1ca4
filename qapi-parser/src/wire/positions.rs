//! Where every member and enum value of a schema is on the wire: each at
//! its path from a command or event (`command query-block`,
//! `returns[].inserted.ro`), in the path syntax [`diff`](super::diff)
//! reports changes in. Type names play no part, so a type QEMU renamed
//! keeps its positions; the release history is recorded this way.

use super::{Flow, TypeId, WireMember, WireSchema, WireType, WireValue};

/// Where something is: the command or event, and the path in it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Position {
    /// `command NAME` or `event NAME`.
    pub item: String,
    /// `arguments.file.filename`, `returns[].inserted`, `data.status`;
    /// a union's branch adds `[tag=value]` (`returns[][type=mirror]`).
    pub path: String,
}

/// What [`WireSchema::visit`] finds.
#[derive(Debug)]
pub enum Visit<'a> {
    /// A command or event.
    Item {
        /// `command NAME` or `event NAME`.
        item: &'a str,
    },
    /// A member of an object.
    Member {
        /// Where the member is (its path ends with its name).
        at: &'a Position,
        /// Which way it travels.
        flow: Flow,
        /// The object type that has it: a union's branch type for the
        /// members its branch adds, the union for its common members.
        owner: TypeId,
        /// The member.
        member: &'a WireMember,
    },
    /// A value of an enum.
    Value {
        /// Where the enum is.
        at: &'a Position,
        /// Which way it travels.
        flow: Flow,
        /// The enum type.
        owner: TypeId,
        /// The value.
        value: &'a WireValue,
    },
}

impl WireSchema {
    /// Calls `f` for every command and event, then for every member and
    /// enum value at every place it can be, walking arguments, returns and
    /// event data (commands first, each in name order). A type that
    /// contains itself is walked once on the way down: its inner
    /// occurrence adds no places.
    ///
    /// ```
    /// use qapi_schema_parser::wire::{Visit, WireSchema};
    /// let schema = qapi_schema_parser::parse_str("s.json", r#"
    /// { 'struct': 'Node', 'data': { 'name': 'str', '*next': 'Node' } }
    /// { 'command': 'query-nodes', 'returns': ['Node'] }
    /// "#, Default::default())?;
    /// let wire = WireSchema::from_schema(&schema);
    /// let mut paths = Vec::new();
    /// wire.visit(&mut |v| if let Visit::Member { at, .. } = v { paths.push(at.path.clone()) });
    /// assert_eq!(paths, ["returns[].name", "returns[].next"]);
    /// # Ok::<(), qapi_schema_parser::Errors>(())
    /// ```
    pub fn visit(&self, f: &mut dyn FnMut(Visit<'_>)) {
        let roots = self
            .commands
            .iter()
            .map(|(n, c)| {
                (
                    format!("command {n}"),
                    vec![
                        (c.arguments, Flow::ToServer, "arguments"),
                        (c.returns, Flow::FromServer, "returns"),
                    ],
                )
            })
            .chain(self.events.iter().map(|(n, e)| {
                (
                    format!("event {n}"),
                    vec![(e.data, Flow::FromServer, "data")],
                )
            }));
        for (item, parts) in roots {
            f(Visit::Item { item: &item });
            for (ty, flow, root) in parts {
                let mut walk = Walk {
                    schema: self,
                    item: &item,
                    flow,
                    stack: Vec::new(),
                    f,
                };
                walk.ty(ty, root);
            }
        }
    }
}

struct Walk<'a, 'f> {
    schema: &'a WireSchema,
    item: &'a str,
    flow: Flow,
    /// The types being walked, outermost first.
    stack: Vec<TypeId>,
    f: &'f mut dyn FnMut(Visit<'_>),
}

impl Walk<'_, '_> {
    fn at(&self, path: String) -> Position {
        Position {
            item: self.item.to_string(),
            path,
        }
    }

    fn ty(&mut self, t: TypeId, path: &str) {
        // A type inside itself (a backing image's image) adds nothing new.
        if self.stack.contains(&t) {
            return;
        }
        self.stack.push(t);
        let schema = self.schema;
        match schema.ty(t) {
            WireType::Builtin(_) => {}
            WireType::Enum(values) => {
                let at = self.at(path.to_string());
                for value in values {
                    let flow = self.flow;
                    (self.f)(Visit::Value {
                        at: &at,
                        flow,
                        owner: t,
                        value,
                    });
                }
            }
            WireType::Array(e) => self.ty(*e, &format!("{path}[]")),
            WireType::Object {
                members,
                tag,
                variants,
            } => {
                self.members(t, members, path);
                let tag = tag.as_deref().unwrap_or("tag");
                for v in variants {
                    let branch = format!("{path}[{tag}={}]", v.case);
                    if let WireType::Object { members, .. } = schema.ty(v.ty) {
                        if !self.stack.contains(&v.ty) {
                            self.stack.push(v.ty);
                            self.members(v.ty, members, &branch);
                            self.stack.pop();
                        }
                    }
                }
            }
            WireType::Alternate(branches) => {
                for &b in branches {
                    self.ty(b, path);
                }
            }
        }
        self.stack.pop();
    }

    fn members(&mut self, owner: TypeId, members: &[WireMember], path: &str) {
        for m in members {
            let at = self.at(if path.is_empty() {
                m.name.clone()
            } else {
                format!("{path}.{}", m.name)
            });
            let flow = self.flow;
            (self.f)(Visit::Member {
                at: &at,
                flow,
                owner,
                member: m,
            });
            self.ty(m.ty, &at.path);
        }
    }
}
