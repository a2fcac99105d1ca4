//! The checked intermediate representation of a schema.
//!
//! A [`Schema`] is an arena of [`Entity`]s in definition order: built-in
//! types first, then every definition with the implicit types it needs
//! (argument types of commands and events with inline `data`, inline
//! union bases, array types) placed just before it. Type references are
//! resolved to [`EntityId`]s; nothing here needs the schema text again.

use crate::diag::Diagnostic;
use crate::doc::Doc;
use crate::source::{FileId, SourceMap, Span};
use serde::{Serialize, Serializer};
use std::collections::HashMap;
use std::fmt;

/// Index of an entity in [`Schema::entities`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct EntityId(pub u32);

/// Index of a module in [`Schema::modules`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct ModuleId(pub u32);

/// A resolved reference to a type.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TypeRef {
    /// The entity.
    pub id: EntityId,
    /// Its QAPI name (`'int'`, `'BlockInfo'`, `'BlockInfoList'`...).
    pub name: String,
}

impl Serialize for TypeRef {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.name)
    }
}

/// A condition (`'if'`): when QEMU has the item it is attached to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Cond {
    /// A configuration symbol, such as `CONFIG_SPICE`.
    Name(String),
    /// All of these hold.
    All(Vec<Cond>),
    /// At least one of these holds.
    Any(Vec<Cond>),
    /// This does not hold.
    Not(Box<Cond>),
}

impl fmt::Display for Cond {
    /// A readable form: `CONFIG_A and (CONFIG_B or not CONFIG_C)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn join(f: &mut fmt::Formatter<'_>, items: &[Cond], op: &str) -> fmt::Result {
            for (i, c) in items.iter().enumerate() {
                if i > 0 {
                    write!(f, " {op} ")?;
                }
                match c {
                    Cond::All(v) | Cond::Any(v) if v.len() > 1 => write!(f, "({c})")?,
                    _ => write!(f, "{c}")?,
                }
            }
            Ok(())
        }
        match self {
            Cond::Name(n) => f.write_str(n),
            Cond::All(v) => join(f, v, "and"),
            Cond::Any(v) => join(f, v, "or"),
            Cond::Not(c) => match **c {
                Cond::Name(_) | Cond::Not(_) => write!(f, "not {c}"),
                _ => write!(f, "not ({c})"),
            },
        }
    }
}

impl Serialize for Cond {
    /// The schema's own form: `"NAME"`, `{"all": [...]}`, `{"any": [...]}`,
    /// `{"not": ...}`.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        match self {
            Cond::Name(n) => s.serialize_str(n),
            Cond::All(v) | Cond::Any(v) => {
                let mut m = s.serialize_map(Some(1))?;
                m.serialize_entry(
                    if matches!(self, Cond::All(_)) {
                        "all"
                    } else {
                        "any"
                    },
                    v,
                )?;
                m.end()
            }
            Cond::Not(c) => {
                let mut m = s.serialize_map(Some(1))?;
                m.serialize_entry("not", c)?;
                m.end()
            }
        }
    }
}

/// A feature of a definition, member or enum value.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Feature {
    /// Its name.
    pub name: String,
    /// Its condition.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cond: Option<Cond>,
    /// Where it is named.
    pub span: Span,
    /// Its description from the definition's `Features:` section.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub doc: Option<String>,
}

impl Feature {
    /// `deprecated` or `unstable`: the features QEMU gives a meaning.
    pub fn is_special(&self) -> bool {
        self.name == "deprecated" || self.name == "unstable"
    }
}

/// A built-in type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Builtin {
    /// `str`
    Str,
    /// `number` (a double)
    Number,
    /// `int` (64-bit signed)
    Int,
    /// `int8`
    Int8,
    /// `int16`
    Int16,
    /// `int32`
    Int32,
    /// `int64`
    Int64,
    /// `uint8`
    Uint8,
    /// `uint16`
    Uint16,
    /// `uint32`
    Uint32,
    /// `uint64`
    Uint64,
    /// `size` (64-bit unsigned)
    Size,
    /// `bool`
    Bool,
    /// `any` (any JSON value)
    Any,
    /// `null` (the JSON null)
    Null,
}

impl Builtin {
    /// Every built-in type, in QEMU's order.
    pub const ALL: [Builtin; 15] = [
        Builtin::Str,
        Builtin::Number,
        Builtin::Int,
        Builtin::Int8,
        Builtin::Int16,
        Builtin::Int32,
        Builtin::Int64,
        Builtin::Uint8,
        Builtin::Uint16,
        Builtin::Uint32,
        Builtin::Uint64,
        Builtin::Size,
        Builtin::Bool,
        Builtin::Any,
        Builtin::Null,
    ];

    /// The schema name (`"uint32"`).
    pub fn name(self) -> &'static str {
        match self {
            Builtin::Str => "str",
            Builtin::Number => "number",
            Builtin::Int => "int",
            Builtin::Int8 => "int8",
            Builtin::Int16 => "int16",
            Builtin::Int32 => "int32",
            Builtin::Int64 => "int64",
            Builtin::Uint8 => "uint8",
            Builtin::Uint16 => "uint16",
            Builtin::Uint32 => "uint32",
            Builtin::Uint64 => "uint64",
            Builtin::Size => "size",
            Builtin::Bool => "bool",
            Builtin::Any => "any",
            Builtin::Null => "null",
        }
    }

    /// The JSON type on the wire.
    pub fn json_type(self) -> JsonType {
        match self {
            Builtin::Str => JsonType::String,
            Builtin::Number => JsonType::Number,
            Builtin::Bool => JsonType::Boolean,
            Builtin::Any => JsonType::Value,
            Builtin::Null => JsonType::Null,
            _ => JsonType::Int,
        }
    }
}

/// The JSON type of a value on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum JsonType {
    /// a string
    String,
    /// an integer
    Int,
    /// any number
    Number,
    /// `true` or `false`
    Boolean,
    /// `null`
    Null,
    /// an object
    Object,
    /// an array
    Array,
    /// any value
    Value,
}

/// One value of an enum.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EnumValue {
    /// The value as sent on the wire.
    pub name: String,
    /// Its condition.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cond: Option<Cond>,
    /// Its features.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub features: Vec<Feature>,
    /// Where it is defined.
    pub span: Span,
    /// Its description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub doc: Option<String>,
}

/// A member of a struct, a union's base, or a command's or event's
/// arguments.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Member {
    /// The name on the wire (without the `*` of optional members).
    pub name: String,
    /// Whether it may be absent.
    pub optional: bool,
    /// Its type.
    #[serde(rename = "type")]
    pub ty: TypeRef,
    /// Its condition.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cond: Option<Cond>,
    /// Its features.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub features: Vec<Feature>,
    /// Where it is defined (its key).
    pub span: Span,
    /// Its description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub doc: Option<String>,
}

/// An enum type.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EnumType {
    /// The values, in schema order.
    pub values: Vec<EnumValue>,
    /// The `prefix` of the C constants, if given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
}

/// A struct (also used for implicit argument and base types).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StructType {
    /// The base struct, whose members come first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base: Option<TypeRef>,
    /// The struct's own members (not the base's).
    pub members: Vec<Member>,
}

/// A branch of a union.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnionBranch {
    /// The discriminator value that selects it.
    pub name: String,
    /// The struct or union whose members it adds (the built-in empty
    /// struct `q_empty` for values without an explicit branch).
    #[serde(rename = "type")]
    pub ty: TypeRef,
    /// Its condition.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cond: Option<Cond>,
    /// Whether it was written in the schema (false for the empty branch
    /// of a value without one).
    pub explicit: bool,
    /// Where it is defined (the enum value, for implicit branches).
    pub span: Span,
}

/// A (discriminated) union.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnionType {
    /// The base struct holding the common members (implicit when the
    /// schema writes it inline).
    pub base: TypeRef,
    /// The common member selecting the branch.
    pub discriminator: String,
    /// The discriminator's enum type.
    pub discriminator_type: TypeRef,
    /// One branch per value of the discriminator enum, in enum order.
    pub branches: Vec<UnionBranch>,
}

/// A branch of an alternate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlternateBranch {
    /// The branch name (not on the wire).
    pub name: String,
    /// Its type.
    #[serde(rename = "type")]
    pub ty: TypeRef,
    /// Its condition.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cond: Option<Cond>,
    /// Where it is defined.
    pub span: Span,
    /// Its description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub doc: Option<String>,
}

/// An alternate: one of several types, told apart by JSON type.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlternateType {
    /// The branches.
    pub branches: Vec<AlternateBranch>,
}

/// An array type `[T]`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ArrayType {
    /// The element type.
    pub element: TypeRef,
}

/// A command.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Command {
    /// Its arguments type (a struct, or with `boxed` a union), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arguments: Option<TypeRef>,
    /// Whether the arguments are passed as one boxed value.
    pub boxed: bool,
    /// What it returns; `None` means an empty object.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub returns: Option<TypeRef>,
    /// `false` for `'gen': false` (QEMU hand-writes the marshaller).
    #[serde(rename = "gen")]
    pub generate: bool,
    /// `false` for `'success-response': false`: no reply on success.
    pub success_response: bool,
    /// May be run out-of-band.
    pub allow_oob: bool,
    /// Available before machine initialisation (`--preconfig`).
    pub allow_preconfig: bool,
    /// Runs in a coroutine.
    pub coroutine: bool,
}

/// An event.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event {
    /// Its data type, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<TypeRef>,
    /// Whether the data is one boxed value.
    pub boxed: bool,
}

/// What an entity is.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "meta", rename_all = "kebab-case")]
pub enum EntityKind {
    /// A built-in type.
    Builtin {
        /// Which one.
        builtin: Builtin,
    },
    /// An enum.
    Enum(EnumType),
    /// A struct.
    Struct(StructType),
    /// A union.
    Union(UnionType),
    /// An alternate.
    Alternate(AlternateType),
    /// An array type.
    Array(ArrayType),
    /// A command.
    Command(Command),
    /// An event.
    Event(Event),
}

impl EntityKind {
    /// The schema keyword for this kind (`"struct"`, `"command"`...).
    pub fn meta(&self) -> &'static str {
        match self {
            EntityKind::Builtin { .. } => "built-in",
            EntityKind::Enum(_) => "enum",
            EntityKind::Struct(_) => "struct",
            EntityKind::Union(_) => "union",
            EntityKind::Alternate(_) => "alternate",
            EntityKind::Array(_) => "array",
            EntityKind::Command(_) => "command",
            EntityKind::Event(_) => "event",
        }
    }

    /// Whether this is a type (anything but a command or event).
    pub fn is_type(&self) -> bool {
        !matches!(self, EntityKind::Command(_) | EntityKind::Event(_))
    }
}

/// Why an entity exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "origin", content = "owner", rename_all = "kebab-case")]
pub enum Origin {
    /// Defined in the schema.
    Explicit,
    /// Predefined: the built-in types, their arrays, `QType`, `q_empty`.
    Builtin,
    /// `[T]` used somewhere.
    Array,
    /// The inline `data` of this command.
    CommandArguments(EntityId),
    /// The inline `data` of this event.
    EventData(EntityId),
    /// The inline `base` of this union.
    UnionBase(EntityId),
    /// Implied by this union of an old release, as QEMU made them: a
    /// legacy simple union's tag enum or a branch's wrapper struct
    /// `{data: T}`, or the enum of the branch names of a union over a
    /// `'str'` discriminator (1.6 to 2.0).
    Implied(EntityId),
}

/// A definition: a type, a command or an event.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Entity {
    /// Its QAPI name (`q_obj_NAME-arg` and the like for implicit types,
    /// as QEMU names them).
    pub name: String,
    /// What it is.
    #[serde(flatten)]
    pub kind: EntityKind,
    /// Why it exists.
    #[serde(flatten)]
    pub origin: Origin,
    /// The module (schema file) it was defined in; `None` for built-ins.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub module: Option<ModuleId>,
    /// Where it is defined (for implicit types, the owner's definition).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub span: Option<Span>,
    /// Its condition (implicit types take their owner's).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cond: Option<Cond>,
    /// Its features.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub features: Vec<Feature>,
    /// Its documentation comment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub doc: Option<Doc>,
    /// For an event, its entry in the legacy events spec, when one was
    /// merged (see [`crate::events_spec`]).
    #[serde(rename = "events-spec", skip_serializing_if = "Option::is_none")]
    pub events_spec: Option<crate::events_spec::SpecEvent>,
}

impl Entity {
    /// Whether the schema defines it (as opposed to a built-in or
    /// implicit type).
    pub fn is_explicit(&self) -> bool {
        self.origin == Origin::Explicit
    }

    /// The feature named `name`, if the entity has it.
    pub fn feature(&self, name: &str) -> Option<&Feature> {
        self.features.iter().find(|f| f.name == name)
    }
}

/// A schema source file, as a module of generated code.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Module {
    /// The path relative to the root schema's directory, without
    /// `.json` (`"block-core"`, `"../../qapi/job"`).
    pub name: String,
    /// The file.
    pub file: FileId,
}

/// The pragmas in force.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Pragma {
    /// Every definition must be documented.
    pub doc_required: bool,
    /// Commands whose names may contain `_`.
    pub command_name_exceptions: Vec<String>,
    /// Commands that may return a non-object.
    pub command_returns_exceptions: Vec<String>,
    /// Definitions whose members need not be documented.
    pub documentation_exceptions: Vec<String>,
    /// Types whose member names may use uppercase and `_`.
    pub member_name_exceptions: Vec<String>,
}

/// A free-form documentation block (headings and prose between
/// definitions).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FreeDoc {
    /// The module it is in.
    pub module: ModuleId,
    /// The entity it comes before, if any (`None` at the end of a file).
    pub before: Option<EntityId>,
    /// The text.
    pub doc: Doc,
}

/// A checked schema.
#[derive(Debug, Clone, Serialize)]
pub struct Schema {
    /// The source files.
    pub sources: SourceMap,
    /// The modules, root first, in include order.
    pub modules: Vec<Module>,
    /// Every entity in definition order.
    pub entities: Vec<Entity>,
    /// Free-form documentation blocks, in source order.
    pub free_docs: Vec<FreeDoc>,
    /// The pragmas in force.
    pub pragma: Pragma,
    /// Warnings and notes (the schema is valid).
    pub diagnostics: Vec<Diagnostic>,
    #[serde(skip)]
    pub(crate) by_name: HashMap<String, EntityId>,
}

impl Schema {
    /// The entity with id `id`.
    pub fn entity(&self, id: EntityId) -> &Entity {
        &self.entities[id.0 as usize]
    }

    /// Looks an entity up by its QAPI name.
    pub fn lookup(&self, name: &str) -> Option<&Entity> {
        self.by_name.get(name).map(|&id| self.entity(id))
    }

    /// The id of the entity named `name`.
    pub fn id_of(&self, name: &str) -> Option<EntityId> {
        self.by_name.get(name).copied()
    }

    /// Every entity with its id.
    pub fn iter(&self) -> impl Iterator<Item = (EntityId, &Entity)> {
        self.entities
            .iter()
            .enumerate()
            .map(|(i, e)| (EntityId(i as u32), e))
    }

    /// The definitions written in the schema, in order.
    pub fn definitions(&self) -> impl Iterator<Item = (EntityId, &Entity)> {
        self.iter().filter(|(_, e)| e.is_explicit())
    }

    /// All members of a struct, base members first (recursively).
    pub fn all_members(&self, id: EntityId) -> Vec<&Member> {
        let mut out = Vec::new();
        members_with_owner(&self.entities, id, &mut out);
        out.into_iter().map(|(m, _)| m).collect()
    }

    /// The module an entity belongs to, by name.
    pub fn module_name(&self, id: EntityId) -> Option<&str> {
        self.entity(id)
            .module
            .map(|m| self.modules[m.0 as usize].name.as_str())
    }

    /// Counts of what the schema defines, as `qapi dump --stats` prints.
    pub fn stats(&self) -> Stats {
        let mut s = Stats::default();
        for e in &self.entities {
            match e.origin {
                Origin::Explicit => {
                    match e.kind {
                        EntityKind::Command(_) => s.commands += 1,
                        EntityKind::Event(_) => s.events += 1,
                        EntityKind::Struct(_) => s.structs += 1,
                        EntityKind::Union(_) => s.unions += 1,
                        EntityKind::Alternate(_) => s.alternates += 1,
                        EntityKind::Enum(_) => s.enums += 1,
                        _ => {}
                    }
                    if e.cond.is_some() {
                        s.conditional += 1;
                    }
                    if !e.features.is_empty() {
                        s.with_features += 1;
                    }
                }
                Origin::Array => s.implicit_arrays += 1,
                Origin::CommandArguments(_) | Origin::EventData(_) | Origin::UnionBase(_) => {
                    s.implicit_objects += 1
                }
                Origin::Implied(_) => s.implied_by_simple_unions += 1,
                Origin::Builtin => {}
            }
        }
        s
    }
}

/// What a schema defines, counted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Stats {
    /// Commands.
    pub commands: usize,
    /// Events.
    pub events: usize,
    /// Structs (explicit).
    pub structs: usize,
    /// Unions.
    pub unions: usize,
    /// Alternates.
    pub alternates: usize,
    /// Enums (explicit).
    pub enums: usize,
    /// Implicit object types (inline arguments, event data, union bases).
    pub implicit_objects: usize,
    /// Array types of non-built-in elements.
    pub implicit_arrays: usize,
    /// Explicit definitions with an `if`.
    pub conditional: usize,
    /// Explicit definitions with features.
    pub with_features: usize,
    /// Types that unions of old releases imply (a simple union's tag
    /// enum and branch wrappers, the enum of a `'str'` discriminator).
    pub implied_by_simple_unions: usize,
}

impl Stats {
    /// All explicit definitions.
    pub fn definitions(&self) -> usize {
        self.commands + self.events + self.structs + self.unions + self.alternates + self.enums
    }
}

impl fmt::Display for Stats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "commands: {}", self.commands)?;
        writeln!(f, "events: {}", self.events)?;
        writeln!(f, "structs: {}", self.structs)?;
        writeln!(f, "unions: {}", self.unions)?;
        writeln!(f, "alternates: {}", self.alternates)?;
        writeln!(f, "enums: {}", self.enums)?;
        writeln!(f, "definitions: {}", self.definitions())?;
        writeln!(
            f,
            "implicit types: {} ({} objects, {} arrays)",
            self.implicit_objects + self.implicit_arrays,
            self.implicit_objects,
            self.implicit_arrays
        )?;
        writeln!(f, "conditional: {}", self.conditional)?;
        writeln!(f, "with features: {}", self.with_features)?;
        if self.implied_by_simple_unions > 0 {
            writeln!(
                f,
                "implied by simple unions: {}",
                self.implied_by_simple_unions
            )?;
        }
        Ok(())
    }
}

/// The members of a struct or union in `entities` (base members first,
/// recursively), each with the entity that declares it. Shared by the
/// checks, which run before a [`Schema`] exists, and by
/// [`Schema::all_members`].
pub(crate) fn members_with_owner<'a>(
    entities: &'a [Entity],
    id: EntityId,
    out: &mut Vec<(&'a Member, EntityId)>,
) {
    let mut chain = vec![id];
    let mut cur = id;
    // Walk to the root of the base chain (bounded: a checked schema has no
    // base cycles, and an unchecked one must not loop either).
    while chain.len() <= entities.len() {
        let base = match &entities[cur.0 as usize].kind {
            EntityKind::Struct(s) => s.base.as_ref().map(|b| b.id),
            EntityKind::Union(u) => Some(u.base.id),
            _ => None,
        };
        let Some(base) = base else { break };
        chain.push(base);
        cur = base;
    }
    for &e in chain.iter().rev() {
        if let EntityKind::Struct(s) = &entities[e.0 as usize].kind {
            out.extend(s.members.iter().map(|m| (m, e)));
        }
    }
}
