//! What a running server has: its `query-qmp-schema`, indexed.
//!
//! A binding set describes every QEMU from the floor release on; a
//! server is one build of one version, whose commands depend on its
//! targets and configuration. [`ServerSchema`] answers, without another
//! round trip, whether the server has a command or an event, which
//! argument members it takes (through nested objects, union branches and
//! alternates, by a dotted path), of which JSON type, which enum values
//! it accepts, which features (`deprecated`, `unstable`) they carry, and
//! what a command returns; [`ServerSchema::check`] walks a typed command
//! and reports what the server would not take before it is sent.

use qmp_types::{
    Command, JSONType, SchemaInfo, SchemaInfoBranch, SchemaInfoEnum, SchemaInfoObject,
    SchemaInfoObjectMember, VersionInfo,
};
use serde_json::Value;
use std::collections::HashMap;

/// A server's schema (its `query-qmp-schema` reply), indexed by name.
/// Get it from `Client::schema` (fetched once per connection), or build
/// it from a saved reply with [`ServerSchema::new`] (the same binary
/// gives the same schema: cache the reply, which serializes).
///
/// ```
/// use qmp_client::ServerSchema;
/// let reply = serde_json::json!([
///     {"name": "query-status", "meta-type": "command", "arg-type": "0", "ret-type": "1"},
///     {"name": "0", "meta-type": "object", "members": []},
///     {"name": "1", "meta-type": "object", "members": [
///         {"name": "running", "type": "bool"},
///         {"name": "status", "type": "2"}]},
///     {"name": "2", "meta-type": "enum", "members": [{"name": "running"}, {"name": "paused"}],
///      "values": ["running", "paused"]},
///     {"name": "bool", "meta-type": "builtin", "json-type": "boolean"},
/// ]);
/// let schema = ServerSchema::new(serde_json::from_value(reply)?, None);
/// assert!(schema.has_command("query-status"));
/// assert!(schema.supports::<qmp_types::cmd::QueryStatus>());
/// let status = schema.returns("query-status", "status").expect("a member");
/// assert!(status.accepts("paused"));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct ServerSchema {
    entities: Vec<SchemaInfo>,
    by_name: HashMap<String, usize>,
    version: Option<VersionInfo>,
}

/// The JSON type of a value a member takes (an enum is a string).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum JsonKind {
    /// A string (or an enum's value).
    String,
    /// A number (integer or not).
    Number,
    /// An integer.
    Int,
    /// `true` or `false`.
    Boolean,
    /// `null`.
    Null,
    /// An object.
    Object,
    /// An array.
    Array,
    /// Any JSON value (QAPI's `any`), or one of several (an alternate).
    Value,
}

impl JsonKind {
    /// In words: `a string`, `an integer`...
    pub fn describe(self) -> &'static str {
        match self {
            JsonKind::String => "a string",
            JsonKind::Number => "a number",
            JsonKind::Int => "an integer",
            JsonKind::Boolean => "true or false",
            JsonKind::Null => "null",
            JsonKind::Object => "an object",
            JsonKind::Array => "an array",
            JsonKind::Value => "any value",
        }
    }
}

/// A type of the server's schema, as a member or a return has it.
#[derive(Debug, Clone, Copy)]
pub struct TypeView<'a> {
    schema: &'a ServerSchema,
    info: &'a SchemaInfo,
}

/// A member of an object type, found by a path.
#[derive(Debug, Clone, Copy)]
pub struct MemberView<'a> {
    /// The member as the server describes it.
    pub info: &'a SchemaInfoObjectMember,
    /// Its type.
    pub ty: TypeView<'a>,
}

impl MemberView<'_> {
    /// Whether the member may be left out.
    pub fn optional(&self) -> bool {
        self.info.default.is_some()
    }

    /// The member's features (`deprecated`, `unstable`...).
    pub fn features(&self) -> &[String] {
        self.info.features.as_deref().unwrap_or_default()
    }

    /// Whether the server marks it deprecated.
    pub fn deprecated(&self) -> bool {
        self.features().iter().any(|f| f == "deprecated")
    }

    /// Whether the member (an enum, an array of one, or an alternate with
    /// an enum branch) accepts the value `value`; for any other type,
    /// whether it takes strings at all.
    pub fn accepts(&self, value: &str) -> bool {
        self.ty.accepts(value)
    }
}

/// What [`ServerSchema::check`] found in a command: something the server
/// would refuse or warns about.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Finding {
    /// The server has no such command.
    UnknownCommand {
        /// The command.
        command: String,
    },
    /// A member the server does not know at this path.
    UnknownMember {
        /// Where (`options.file.filename`).
        path: String,
    },
    /// An enum value the server does not know.
    UnknownValue {
        /// Where.
        path: String,
        /// The value.
        value: String,
    },
    /// A member or value the server marks deprecated.
    Deprecated {
        /// Where (with `=value` for a value).
        path: String,
    },
    /// A value of another JSON type than the member takes.
    WrongType {
        /// Where.
        path: String,
        /// What the member takes.
        expected: JsonKind,
    },
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Finding::UnknownCommand { command } => write!(f, "no command {command}"),
            Finding::UnknownMember { path } => write!(f, "no member {path}"),
            Finding::UnknownValue { path, value } => write!(f, "{path}: no value '{value}'"),
            Finding::Deprecated { path } => write!(f, "{path} is deprecated"),
            Finding::WrongType { path, expected } => {
                write!(f, "{path} takes {}", expected.describe())
            }
        }
    }
}

impl Finding {
    /// Whether the server would refuse the command for it (a deprecated
    /// member still works).
    pub fn refused(&self) -> bool {
        !matches!(self, Finding::Deprecated { .. })
    }
}

impl ServerSchema {
    /// Indexes the entities of a `query-qmp-schema` reply; `version` is
    /// the server's (for messages).
    pub fn new(entities: Vec<SchemaInfo>, version: Option<VersionInfo>) -> Self {
        let by_name = entities
            .iter()
            .enumerate()
            .map(|(i, e)| (e.name.clone(), i))
            .collect();
        ServerSchema {
            entities,
            by_name,
            version,
        }
    }

    /// The server's version, when known.
    pub fn version(&self) -> Option<&VersionInfo> {
        self.version.as_ref()
    }

    /// Every entity, as the server sent them.
    pub fn entities(&self) -> &[SchemaInfo] {
        &self.entities
    }

    fn get(&self, name: &str) -> Option<&SchemaInfo> {
        self.by_name.get(name).map(|&i| &self.entities[i])
    }

    fn command_info(&self, name: &str) -> Option<(&SchemaInfo, &qmp_types::SchemaInfoCommand)> {
        self.get(name).and_then(|e| match &e.meta_type {
            SchemaInfoBranch::Command(c) => Some((e, c)),
            _ => None,
        })
    }

    /// Whether the server has the command `name`.
    pub fn has_command(&self, name: &str) -> bool {
        self.command_info(name).is_some()
    }

    /// Whether the server has the event `name`.
    pub fn has_event(&self, name: &str) -> bool {
        self.get(name)
            .is_some_and(|e| matches!(e.meta_type, SchemaInfoBranch::Event(_)))
    }

    /// Whether the server has the command `C`.
    pub fn supports<C: Command>(&self) -> bool {
        self.has_command(C::NAME)
    }

    /// The features of the command or event `name` (`None` when the
    /// server has neither).
    pub fn features(&self, name: &str) -> Option<&[String]> {
        self.get(name)
            .filter(|e| {
                matches!(
                    e.meta_type,
                    SchemaInfoBranch::Command(_) | SchemaInfoBranch::Event(_)
                )
            })
            .map(|e| e.features.as_deref().unwrap_or_default())
    }

    /// The names of the server's commands.
    pub fn commands(&self) -> impl Iterator<Item = &str> {
        self.entities
            .iter()
            .filter(|e| matches!(e.meta_type, SchemaInfoBranch::Command(_)))
            .map(|e| e.name.as_str())
    }

    /// The names of the server's events.
    pub fn events(&self) -> impl Iterator<Item = &str> {
        self.entities
            .iter()
            .filter(|e| matches!(e.meta_type, SchemaInfoBranch::Event(_)))
            .map(|e| e.name.as_str())
    }

    /// The commands and events the server has and `known` (the wire names
    /// a binding set knows) lacks: what a newer QEMU added, to log.
    ///
    /// ```no_run
    /// # fn demo(schema: &qmp_client::ServerSchema) {
    /// // With qmp-types' `registry` feature:
    /// // let known = qmp_types::COMMANDS.iter().map(|c| c.name)
    /// //     .chain(qmp_types::EVENTS.iter().map(|e| e.name));
    /// let known = ["query-status", "STOP"];
    /// for name in schema.unknown_to(known) {
    ///     println!("the server has {name}, the bindings do not");
    /// }
    /// # }
    /// ```
    pub fn unknown_to<'k>(&self, known: impl IntoIterator<Item = &'k str>) -> Vec<&str> {
        let known: std::collections::HashSet<&str> = known.into_iter().collect();
        self.commands()
            .chain(self.events())
            .filter(|n| !known.contains(n))
            .collect()
    }

    /// The argument member at `path` (dotted: `options.file.filename`) of
    /// the command `command`, looked up through nested objects, every
    /// branch of a union and every object branch of an alternate, and
    /// into array elements.
    pub fn argument(&self, command: &str, path: &str) -> Option<MemberView<'_>> {
        let (_, c) = self.command_info(command)?;
        self.member_at(&c.arg_type, path)
    }

    /// The member at `path` of what the command `command` returns (`""`
    /// for the return type itself: see [`ServerSchema::return_type`]).
    pub fn returns(&self, command: &str, path: &str) -> Option<MemberView<'_>> {
        let (_, c) = self.command_info(command)?;
        self.member_at(&c.ret_type, path)
    }

    /// The type the command `command` returns.
    pub fn return_type(&self, command: &str) -> Option<TypeView<'_>> {
        let (_, c) = self.command_info(command)?;
        self.type_view(&c.ret_type)
    }

    fn type_view(&self, name: &str) -> Option<TypeView<'_>> {
        self.get(name).map(|info| TypeView { schema: self, info })
    }

    fn member_at(&self, ty: &str, path: &str) -> Option<MemberView<'_>> {
        let mut ty = self.type_view(ty)?;
        let mut found = None;
        for part in path.split('.') {
            let m = ty.member(part)?;
            ty = m.ty;
            found = Some(m);
        }
        found
    }

    /// Checks `command` against the server's schema before it is sent:
    /// every member it sets that the server does not know, every enum
    /// value it does not know, and every member or value it marks
    /// deprecated. Empty when the server takes the command as it is.
    pub fn check<C: Command>(&self, command: &C) -> Vec<Finding> {
        if !self.has_command(C::NAME) {
            return vec![Finding::UnknownCommand {
                command: C::NAME.to_string(),
            }];
        }
        match C::HAS_ARGUMENTS.then(|| serde_json::to_value(command)) {
            Some(Ok(value)) => self.check_arguments(C::NAME, &value),
            // An argument that does not encode fails when sent.
            Some(Err(_)) | None => Vec::new(),
        }
    }

    /// [`ServerSchema::check`] for a command by name with JSON arguments
    /// (what a person types): also reports values of the wrong JSON type.
    ///
    /// ```
    /// # let reply = serde_json::json!([
    /// #     {"name": "eject", "meta-type": "command", "arg-type": "0", "ret-type": "1"},
    /// #     {"name": "0", "meta-type": "object", "members": [
    /// #         {"name": "id", "type": "str", "default": null},
    /// #         {"name": "force", "type": "bool", "default": null}]},
    /// #     {"name": "1", "meta-type": "object", "members": []},
    /// #     {"name": "str", "meta-type": "builtin", "json-type": "string"},
    /// #     {"name": "bool", "meta-type": "builtin", "json-type": "boolean"}]);
    /// # let schema = qmp_client::ServerSchema::new(serde_json::from_value(reply)?, None);
    /// use qmp_client::Finding;
    /// let found = schema.check_arguments("eject", &serde_json::json!({"id": "cd0", "force": "yes"}));
    /// assert_eq!(found[0].to_string(), "force takes true or false");
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn check_arguments(&self, command: &str, arguments: &Value) -> Vec<Finding> {
        let Some((_, c)) = self.command_info(command) else {
            return vec![Finding::UnknownCommand {
                command: command.to_string(),
            }];
        };
        let mut out = Vec::new();
        if let Some(ty) = self.type_view(&c.arg_type) {
            ty.check(arguments, "", &mut out);
        }
        out
    }

    /// The type at `path` in the arguments of `command` (`""`: the
    /// arguments object itself), for completion.
    pub fn argument_type(&self, command: &str, path: &str) -> Option<TypeView<'_>> {
        let (_, c) = self.command_info(command)?;
        if path.is_empty() {
            return self.type_view(&c.arg_type);
        }
        self.member_at(&c.arg_type, path).map(|m| m.ty)
    }
}

impl<'a> TypeView<'a> {
    /// The type's name in the server's schema (a number for most types:
    /// introspection hides the names).
    pub fn name(&self) -> &'a str {
        &self.info.name
    }

    /// The JSON type of its values.
    pub fn json_kind(&self) -> JsonKind {
        match &self.info.meta_type {
            SchemaInfoBranch::Builtin(b) => match b.json_type {
                JSONType::String => JsonKind::String,
                JSONType::Number => JsonKind::Number,
                JSONType::Int => JsonKind::Int,
                JSONType::Boolean => JsonKind::Boolean,
                JSONType::Null => JsonKind::Null,
                JSONType::Object => JsonKind::Object,
                JSONType::Array => JsonKind::Array,
                JSONType::Value | JSONType::Other(_) => JsonKind::Value,
            },
            SchemaInfoBranch::Enum(_) => JsonKind::String,
            SchemaInfoBranch::Array(_) => JsonKind::Array,
            SchemaInfoBranch::Object(_) => JsonKind::Object,
            _ => JsonKind::Value,
        }
    }

    /// The enum's values, for an enum.
    pub fn values(&self) -> Option<impl Iterator<Item = &'a str> + use<'a>> {
        self.as_enum()
            .map(|e| e.members.iter().map(|m| m.name.as_str()))
    }

    fn as_enum(&self) -> Option<&'a SchemaInfoEnum> {
        match &self.info.meta_type {
            SchemaInfoBranch::Enum(e) => Some(e),
            _ => None,
        }
    }

    fn as_object(&self) -> Option<&'a SchemaInfoObject> {
        match &self.info.meta_type {
            SchemaInfoBranch::Object(o) => Some(o),
            _ => None,
        }
    }

    /// The types a value of this one may be: itself, an array's element,
    /// an alternate's branches.
    fn shapes(&self) -> Vec<TypeView<'a>> {
        match &self.info.meta_type {
            SchemaInfoBranch::Array(a) => {
                self.schema.type_view(&a.element_type).into_iter().collect()
            }
            SchemaInfoBranch::Alternate(a) => a
                .members
                .iter()
                .filter_map(|m| self.schema.type_view(&m.r#type))
                .collect(),
            _ => vec![*self],
        }
    }

    /// Whether a value `value` is taken: an enum's value (of this type, an
    /// array's element or an alternate's branch), or any string for a type
    /// that takes strings.
    pub fn accepts(&self, value: &str) -> bool {
        self.shapes().iter().any(|t| match t.as_enum() {
            Some(e) => e.members.iter().any(|m| m.name == value),
            None => matches!(t.json_kind(), JsonKind::String | JsonKind::Value),
        })
    }

    /// The features of the enum value `value`.
    pub fn value_features(&self, value: &str) -> &'a [String] {
        self.shapes()
            .iter()
            .filter_map(|t| t.as_enum())
            .flat_map(|e| e.members.iter())
            .find(|m| m.name == value)
            .and_then(|m| m.features.as_deref())
            .unwrap_or_default()
    }

    /// The names of the members of this object (its own and every union
    /// branch's), of an array's element, or of an alternate's object
    /// branches: what may come after a dot.
    pub fn member_names(&self) -> Vec<&'a str> {
        let mut names = Vec::new();
        for t in self.shapes() {
            t.collect_names(&mut names);
        }
        names.sort_unstable();
        names.dedup();
        names
    }

    /// The names of the members a value of this type may have given what
    /// `value` already holds: for a union whose tag `value` sets, the
    /// common members and that branch's only; otherwise
    /// [`TypeView::member_names`].
    pub fn member_names_for(&self, value: &Value) -> Vec<&'a str> {
        let mut names = Vec::new();
        for t in self.shapes() {
            match (t.as_object(), value.as_object()) {
                (Some(o), Some(map)) if o.tag.as_ref().is_some_and(|tag| map.contains_key(tag)) => {
                    names.extend(t.members_for(map).iter().map(|m| m.name.as_str()));
                }
                _ => t.collect_names(&mut names),
            }
        }
        names.sort_unstable();
        names.dedup();
        names
    }

    fn collect_names(&self, names: &mut Vec<&'a str>) {
        let Some(o) = self.as_object() else {
            return;
        };
        names.extend(o.members.iter().map(|m| m.name.as_str()));
        for v in o.variants.iter().flatten() {
            if let Some(t) = self.schema.type_view(&v.r#type) {
                t.collect_names(names);
            }
        }
    }

    /// The member `name` of this object (its own, or any union branch's),
    /// of an array's element, or of an alternate's object branches.
    pub fn member(&self, name: &str) -> Option<MemberView<'a>> {
        self.shapes().into_iter().find_map(|t| t.own_member(name))
    }

    fn own_member(&self, name: &str) -> Option<MemberView<'a>> {
        let o = self.as_object()?;
        if let Some(m) = o.members.iter().find(|m| m.name == name) {
            return Some(MemberView {
                info: m,
                ty: self.schema.type_view(&m.r#type)?,
            });
        }
        o.variants
            .iter()
            .flatten()
            .filter_map(|v| self.schema.type_view(&v.r#type))
            .find_map(|t| t.own_member(name))
    }

    /// The object's members for a value whose tag (if it is a union) is
    /// what `value` holds: the common ones and the selected branch's.
    fn members_for(
        &self,
        value: &serde_json::Map<String, Value>,
    ) -> Vec<&'a SchemaInfoObjectMember> {
        let Some(o) = self.as_object() else {
            return Vec::new();
        };
        let mut members: Vec<_> = o.members.iter().collect();
        if let (Some(tag), Some(variants)) = (&o.tag, &o.variants)
            && let Some(case) = value.get(tag).and_then(Value::as_str)
            && let Some(v) = variants.iter().find(|v| v.case == case)
            && let Some(t) = self.schema.type_view(&v.r#type)
        {
            members.extend(t.members_for(value));
        }
        members
    }

    /// Walks `value` (at `path`) against this type, noting what the
    /// server would not take.
    fn check(&self, value: &Value, path: &str, out: &mut Vec<Finding>) {
        match (value, &self.info.meta_type) {
            (Value::Array(items), SchemaInfoBranch::Array(a)) => {
                if let Some(t) = self.schema.type_view(&a.element_type) {
                    for (i, item) in items.iter().enumerate() {
                        t.check(item, &format!("{path}[{i}]"), out);
                    }
                }
            }
            (_, SchemaInfoBranch::Alternate(_)) => {
                // The branch of the value's JSON type.
                let kind = kind_of(value);
                let branch = self.shapes().into_iter().find(|t| {
                    let k = t.json_kind();
                    k == kind || (k == JsonKind::Number && kind == JsonKind::Int)
                });
                if let Some(t) = branch {
                    t.check(value, path, out);
                }
            }
            (Value::String(s), SchemaInfoBranch::Enum(e)) => {
                match e.members.iter().find(|m| m.name == *s) {
                    None => out.push(Finding::UnknownValue {
                        path: path.to_string(),
                        value: s.clone(),
                    }),
                    Some(m)
                        if m.features
                            .as_deref()
                            .unwrap_or_default()
                            .iter()
                            .any(|f| f == "deprecated") =>
                    {
                        out.push(Finding::Deprecated {
                            path: format!("{path}={s}"),
                        })
                    }
                    _ => {}
                }
            }
            (Value::Object(map), SchemaInfoBranch::Object(_)) => {
                let members = self.members_for(map);
                for (key, v) in map {
                    let at = if path.is_empty() {
                        key.clone()
                    } else {
                        format!("{path}.{key}")
                    };
                    match members.iter().find(|m| m.name == *key) {
                        None => out.push(Finding::UnknownMember { path: at }),
                        Some(m) => {
                            if m.features
                                .as_deref()
                                .unwrap_or_default()
                                .iter()
                                .any(|f| f == "deprecated")
                            {
                                out.push(Finding::Deprecated { path: at.clone() });
                            }
                            if let Some(t) = self.schema.type_view(&m.r#type) {
                                t.check(v, &at, out);
                            }
                        }
                    }
                }
            }
            (Value::Null, _) => {}
            (v, SchemaInfoBranch::Builtin(_)) => {
                let (want, got) = (self.json_kind(), kind_of(v));
                let fits = want == got
                    || want == JsonKind::Value
                    || (want == JsonKind::Number && got == JsonKind::Int);
                if !fits {
                    out.push(Finding::WrongType {
                        path: path.to_string(),
                        expected: want,
                    });
                }
            }
            (
                _,
                SchemaInfoBranch::Enum(_)
                | SchemaInfoBranch::Array(_)
                | SchemaInfoBranch::Object(_),
            ) => out.push(Finding::WrongType {
                path: path.to_string(),
                expected: self.json_kind(),
            }),
            _ => {}
        }
    }
}

/// The JSON type of a value.
fn kind_of(value: &Value) -> JsonKind {
    match value {
        Value::Null => JsonKind::Null,
        Value::Bool(_) => JsonKind::Boolean,
        Value::Number(n) if n.is_i64() || n.is_u64() => JsonKind::Int,
        Value::Number(_) => JsonKind::Number,
        Value::String(_) => JsonKind::String,
        Value::Array(_) => JsonKind::Array,
        Value::Object(_) => JsonKind::Object,
    }
}

impl ServerSchema {
    /// What this schema has that `other` lacks, found by walking both
    /// from each command and event by structure (type names differ
    /// between schemas): commands and events, members (`command
    /// blockdev-add arguments[driver=file].filename`), union branches and
    /// enum values. Types that changed shape are not walked into.
    pub fn not_in(&self, other: &ServerSchema) -> Vec<String> {
        let mut out = Vec::new();
        for name in self.commands() {
            let (Some((_, a)), Some((_, b))) = (self.command_info(name), other.command_info(name))
            else {
                out.push(format!("command {name}"));
                continue;
            };
            let mut seen = std::collections::HashSet::new();
            let item = format!("command {name}");
            walk_missing(
                self,
                other,
                &a.arg_type,
                &b.arg_type,
                &format!("{item} arguments"),
                &mut seen,
                &mut out,
            );
            walk_missing(
                self,
                other,
                &a.ret_type,
                &b.ret_type,
                &format!("{item} returns"),
                &mut seen,
                &mut out,
            );
        }
        for name in self.events() {
            let data = |s: &ServerSchema| {
                s.get(name).and_then(|e| match &e.meta_type {
                    SchemaInfoBranch::Event(ev) => Some(ev.arg_type.clone()),
                    _ => None,
                })
            };
            match (data(self), data(other)) {
                (Some(a), Some(b)) => {
                    let mut seen = std::collections::HashSet::new();
                    let path = format!("event {name} data");
                    walk_missing(self, other, &a, &b, &path, &mut seen, &mut out);
                }
                _ => out.push(format!("event {name}")),
            }
        }
        out
    }

    /// The bindings' own schema (QEMU 10.2.2's, every condition built in),
    /// indexed once.
    #[cfg(feature = "registry")]
    #[cfg_attr(docsrs, doc(cfg(feature = "registry")))]
    pub fn bindings() -> &'static ServerSchema {
        static BINDINGS: std::sync::OnceLock<ServerSchema> = std::sync::OnceLock::new();
        BINDINGS.get_or_init(|| {
            let entities = serde_json::from_str(qmp_types::INTROSPECTION).unwrap_or_default();
            ServerSchema::new(entities, None)
        })
    }

    /// What this server has that the bindings lack (see
    /// [`ServerSchema::not_in`]): the commands, events, members, branches
    /// and enum values of a newer QEMU (or of an older one, where QEMU
    /// removed them since), as data a program can log.
    ///
    /// ```no_run
    /// # async fn demo(client: qmp_client::Client) -> Result<(), qmp_client::Error> {
    /// for item in client.schema().await?.unknown_to_bindings() {
    ///     eprintln!("the server has {item}; the bindings do not");
    /// }
    /// # Ok(()) }
    /// ```
    #[cfg(feature = "registry")]
    #[cfg_attr(docsrs, doc(cfg(feature = "registry")))]
    pub fn unknown_to_bindings(&self) -> Vec<String> {
        self.not_in(Self::bindings())
    }
}

/// The members, branches and values type `a` of `sa` has and type `b` of
/// `sb` lacks, at `path`.
fn walk_missing(
    sa: &ServerSchema,
    sb: &ServerSchema,
    a: &str,
    b: &str,
    path: &str,
    seen: &mut std::collections::HashSet<(String, String)>,
    out: &mut Vec<String>,
) {
    if !seen.insert((a.to_string(), b.to_string())) {
        return;
    }
    let (Some(ta), Some(tb)) = (sa.get(a), sb.get(b)) else {
        return;
    };
    match (&ta.meta_type, &tb.meta_type) {
        (SchemaInfoBranch::Enum(ea), SchemaInfoBranch::Enum(eb)) => {
            for m in ea
                .members
                .iter()
                .filter(|m| !eb.members.iter().any(|n| n.name == m.name))
            {
                out.push(format!("{path}: value '{}'", m.name));
            }
        }
        (SchemaInfoBranch::Array(xa), SchemaInfoBranch::Array(xb)) => {
            walk_missing(
                sa,
                sb,
                &xa.element_type,
                &xb.element_type,
                &format!("{path}[]"),
                seen,
                out,
            );
        }
        (SchemaInfoBranch::Object(oa), SchemaInfoBranch::Object(ob)) => {
            for m in &oa.members {
                match ob.members.iter().find(|n| n.name == m.name) {
                    Some(n) => walk_missing(
                        sa,
                        sb,
                        &m.r#type,
                        &n.r#type,
                        &format!("{path}.{}", m.name),
                        seen,
                        out,
                    ),
                    None => out.push(format!("{path}.{}", m.name)),
                }
            }
            let tag = oa.tag.as_deref().unwrap_or("tag");
            for v in oa.variants.iter().flatten() {
                let other = ob.variants.iter().flatten().find(|w| w.case == v.case);
                match other {
                    Some(w) => walk_missing(
                        sa,
                        sb,
                        &v.r#type,
                        &w.r#type,
                        &format!("{path}[{tag}={}]", v.case),
                        seen,
                        out,
                    ),
                    None => out.push(format!("{path}: branch '{}'", v.case)),
                }
            }
        }
        (SchemaInfoBranch::Alternate(aa), SchemaInfoBranch::Alternate(ab)) => {
            let kind = |s: &ServerSchema, t: &str| s.type_view(t).map(|v| v.json_kind());
            for m in &aa.members {
                let k = kind(sa, &m.r#type);
                if let Some(n) = ab.members.iter().find(|n| kind(sb, &n.r#type) == k) {
                    walk_missing(sa, sb, &m.r#type, &n.r#type, path, seen, out);
                }
            }
        }
        _ => {}
    }
}

/// What `Config::check_arguments` does with a command: a deprecated
/// member is a warning, anything the server lacks an error.
pub(crate) fn verdict<C: Command>(schema: &ServerSchema, command: &C) -> Result<(), crate::Error> {
    let findings = schema.check(command);
    for f in findings.iter().filter(|f| !f.refused()) {
        tracing::warn!(command = C::NAME, finding = %f, "the server deprecates this");
    }
    if !findings.iter().any(Finding::refused) {
        return Ok(());
    }
    let server = match schema.version() {
        Some(v) => format!("QEMU {}", v.qemu),
        None => "the server".to_string(),
    };
    Err(crate::Error::Unsupported {
        command: C::NAME.to_string(),
        findings: findings.into_iter().filter(Finding::refused).collect(),
        server,
    })
}
