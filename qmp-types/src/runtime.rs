//! The traits and helpers the generated code implements and uses.
//!
//! Hand-written; the generated modules refer to these through
//! `::qmp_types::`, so code generated for another schema (by
//! `qapi-bindgen` from a `build.rs`) uses the same traits and can be
//! sent by the same client.

use serde::de::{DeserializeOwned, Deserializer, MapAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::fmt;

/// A QMP command: its arguments are the value itself.
///
/// ```
/// use qmp_types::Command;
/// assert_eq!(<qmp_types::cmd::QueryStatus as Command>::NAME, "query-status");
/// ```
pub trait Command: Serialize {
    /// The command's name on the wire (`"execute": NAME`).
    const NAME: &'static str;
    /// What a successful reply carries (`"return": ...`).
    type Returns: DeserializeOwned + Serialize;
    /// Whether the command may be sent out-of-band (`exec-oob`).
    const ALLOW_OOB: bool = false;
    /// Whether a success is answered.
    ///
    /// `false` for commands that send no reply when they succeed (the
    /// guest agent's `guest-shutdown`, for one).
    const SUCCESS_RESPONSE: bool = true;
    /// Whether the command takes arguments.
    ///
    /// When not, `arguments` is left out of the request.
    const HAS_ARGUMENTS: bool = true;
    /// The first QEMU release that has it (`"8.0"`), when later than the
    /// oldest the bindings read.
    ///
    /// `None`: every release they read has it. Ask before sending with
    /// [`VersionTriple::has_command`](crate::VersionTriple::has_command)
    /// (or [`VersionTriple::at_least`](crate::VersionTriple::at_least)).
    ///
    /// ```
    /// use qmp_types::{Command, VersionTriple, cmd};
    /// assert_eq!(cmd::BlockdevSetActive::FIRST_RELEASE, Some("10.0"));
    /// assert_eq!(cmd::QueryStatus::FIRST_RELEASE, None);
    /// let debian_12 = VersionTriple::new(7, 2, 0);
    /// assert!(!debian_12.has_command::<cmd::BlockdevSetActive>());
    /// ```
    const FIRST_RELEASE: Option<&'static str> = None;
    /// The last QEMU release that has it (`"9.0"`), when QEMU removed it.
    ///
    /// The bindings keep what QEMU removed after the oldest release they
    /// read, `#[deprecated]`, for the servers that have it. `None`: the
    /// newest release they read has it.
    ///
    /// ```
    /// # #![allow(deprecated)]
    /// use qmp_types::{Command, VersionTriple, cmd};
    /// assert_eq!(cmd::XQueryRdma::LAST_RELEASE, Some("9.0"));
    /// assert!(VersionTriple::new(7, 2, 0).has_command::<cmd::XQueryRdma>());
    /// assert!(!VersionTriple::new(9, 1, 0).has_command::<cmd::XQueryRdma>());
    /// ```
    const LAST_RELEASE: Option<&'static str> = None;
}

/// The data of one kind of event.
pub trait Event: Serialize + DeserializeOwned {
    /// The event's name on the wire (`"event": NAME`).
    const NAME: &'static str;
    /// The first QEMU release that sends it, when later than the oldest
    /// the bindings read.
    ///
    /// See [`Command::FIRST_RELEASE`].
    const FIRST_RELEASE: Option<&'static str> = None;
    /// The last QEMU release that sends it, when QEMU removed it.
    ///
    /// See [`Command::LAST_RELEASE`].
    const LAST_RELEASE: Option<&'static str> = None;
}

/// An event type that is one variant of the event set `S` (the generated
/// `Events`): how to find it there. It is what [`Events::get`] and
/// [`Events::into`] (generated) take, and it converts into the set.
///
/// ```
/// use qmp_types::{EventIn, Events, event};
/// let e = Events::from(event::Stop);
/// assert!(e.get::<event::Stop>().is_some());
/// assert!(e.clone().into::<event::Resume>().is_err());
/// assert_eq!(<event::Stop as EventIn<Events>>::take(e), Ok(event::Stop));
/// ```
///
/// [`Events::get`]: crate::Events::get
/// [`Events::into`]: crate::Events::into
pub trait EventIn<S: EventSet>: Event + Into<S> {
    /// The event, if `set` holds this kind.
    fn get(set: &S) -> Option<&Self>;
    /// The event, or `set` back when it holds another kind.
    fn take(set: S) -> Result<Self, S>;
}

/// All the events of a schema, as one enum (generated), so that a
/// stream of events can be decoded without knowing what comes next.
pub trait EventSet: Sized {
    /// Decodes the event named `name` from its `data` (`None` when the
    /// message has none). Unknown names give the enum's catch-all variant.
    fn decode<'de, D: Deserializer<'de>>(name: &str, data: Option<D>) -> Result<Self, D::Error>;
    /// The event's wire name.
    fn name(&self) -> &str;
    /// Writes the `data` member, if the event has data.
    fn serialize_data<M: SerializeMap>(&self, map: &mut M) -> Result<(), M::Error>;
}

/// When an event happened, as QEMU reports it (`"timestamp"`).
///
/// It decodes from an object only: QMP never sends one as an array (which
/// serde's derived decoders would also accept, by position). Members a
/// newer QEMU adds are kept.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Timestamp {
    /// Seconds since the epoch (-1 when QEMU could not read the clock).
    pub seconds: i64,
    /// Microseconds within the second.
    pub microseconds: i64,
    /// Members this version of the bindings does not know (sent by a
    /// newer QEMU), kept so that encoding gives back what was received.
    pub unknown_members: serde_json::Map<String, serde_json::Value>,
}

/// Timestamps order by time; two of the same time that differ in members
/// a newer QEMU added are unordered (as they are unequal).
impl PartialOrd for Timestamp {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        match (self.seconds, self.microseconds).cmp(&(other.seconds, other.microseconds)) {
            std::cmp::Ordering::Equal if self.unknown_members != other.unknown_members => None,
            order => Some(order),
        }
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(2 + self.unknown_members.len()))?;
        map.serialize_entry("seconds", &self.seconds)?;
        map.serialize_entry("microseconds", &self.microseconds)?;
        for (k, v) in &self.unknown_members {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

impl de::Object for Timestamp {
    const EXPECTING: &'static str = "a timestamp object";

    fn visit<'de, A: MapAccess<'de>>(mut map: A) -> Result<Self, A::Error> {
        let (mut seconds, mut microseconds) = (None, None);
        let mut unknown_members = serde_json::Map::new();
        while let Some(key) = map.next_key::<de::Key<'de>>()? {
            match key.as_str() {
                "seconds" => de::next(&mut map, &mut seconds)?,
                "microseconds" => de::next(&mut map, &mut microseconds)?,
                other => {
                    let other = other.to_string();
                    unknown_members.insert(other, map.next_value()?);
                }
            }
        }
        Ok(Timestamp {
            seconds: seconds.map_or_else(|| de::absent("seconds"), Ok)?,
            microseconds: microseconds.map_or_else(|| de::absent("microseconds"), Ok)?,
            unknown_members,
        })
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        de::deserialize_object(deserializer)
    }
}

impl Timestamp {
    /// The timestamp as a [`std::time::SystemTime`], if it is valid.
    pub fn to_system_time(&self) -> Option<std::time::SystemTime> {
        let secs = u64::try_from(self.seconds).ok()?;
        let micros = u64::try_from(self.microseconds).ok()?;
        std::time::UNIX_EPOCH.checked_add(
            std::time::Duration::from_secs(secs) + std::time::Duration::from_micros(micros),
        )
    }
}

/// An event message as sent by the server: the event and its timestamp.
///
/// ```
/// use qmp_types::{EventMessage, Events};
/// let msg: EventMessage<Events> = serde_json::from_str(
///     r#"{"event": "STOP", "timestamp": {"seconds": 1, "microseconds": 2}}"#,
/// )?;
/// assert!(matches!(msg.event, Events::Stop(_)));
/// assert_eq!(msg.timestamp.seconds, 1);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct EventMessage<E> {
    /// The event.
    pub event: E,
    /// When it happened.
    pub timestamp: Timestamp,
    /// Members beside `event`, `data` and `timestamp` that this version
    /// of the bindings does not know (sent by a newer QEMU), kept so that
    /// encoding gives back what was received.
    pub unknown_members: serde_json::Map<String, serde_json::Value>,
}

impl<'de, E: EventSet> Deserialize<'de> for EventMessage<E> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(MessageVisitor(std::marker::PhantomData))
    }
}

struct MessageVisitor<E>(std::marker::PhantomData<E>);

/// Decodes `data` straight into the event's type, once the name is known.
struct DataSeed<'n, E>(&'n str, std::marker::PhantomData<E>);

impl<'de, E: EventSet> serde::de::DeserializeSeed<'de> for DataSeed<'_, E> {
    type Value = E;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<E, D::Error> {
        E::decode(self.0, Some(deserializer))
    }
}

impl<'de, E: EventSet> Visitor<'de> for MessageVisitor<E> {
    type Value = EventMessage<E>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an event message")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<EventMessage<E>, A::Error> {
        use serde::de::Error;
        let mut name: Option<String> = None;
        let mut event: Option<E> = None;
        // QEMU sends `event` before `data`, so the data decodes directly;
        // in the other order it is kept until the name is known.
        let mut early_data: Option<serde_json::Value> = None;
        let mut timestamp: Option<Timestamp> = None;
        let mut unknown_members = serde_json::Map::new();
        while let Some(key) = map.next_key::<de::Key<'de>>()? {
            match key.as_str() {
                "event" => name = Some(map.next_value()?),
                "data" => match &name {
                    Some(n) => {
                        event = Some(map.next_value_seed(DataSeed(n, std::marker::PhantomData))?)
                    }
                    None => early_data = Some(map.next_value()?),
                },
                "timestamp" => timestamp = Some(map.next_value()?),
                other => {
                    let other = other.to_string();
                    unknown_members.insert(other, map.next_value()?);
                }
            }
        }
        let name = name.ok_or_else(|| A::Error::missing_field("event"))?;
        let event = match (event, early_data) {
            (Some(e), _) => e,
            (None, Some(data)) => {
                crate::deep::grow(|| E::decode(&name, Some(data))).map_err(A::Error::custom)?
            }
            (None, None) => E::decode::<serde::de::value::UnitDeserializer<A::Error>>(&name, None)?,
        };
        let timestamp = timestamp.ok_or_else(|| A::Error::missing_field("timestamp"))?;
        Ok(EventMessage {
            event,
            timestamp,
            unknown_members,
        })
    }
}

impl<E: EventSet> Serialize for EventMessage<E> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("event", self.event.name())?;
        self.event.serialize_data(&mut map)?;
        map.serialize_entry("timestamp", &self.timestamp)?;
        for (k, v) in &self.unknown_members {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

/// The empty object: what a command without `returns` replies with, and
/// the arguments of a command without any. Members a newer QEMU adds are
/// kept.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Empty {
    /// Members this version of the bindings does not know.
    pub unknown_members: serde_json::Map<String, serde_json::Value>,
}

impl Serialize for Empty {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.unknown_members.len()))?;
        for (k, v) in &self.unknown_members {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for Empty {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Empty {
            unknown_members: serde_json::Map::deserialize(deserializer)?,
        })
    }
}

/// One command of a schema, for tools that work by wire name (see the
/// generated `COMMANDS` table).
#[derive(Debug, Clone, Copy)]
pub struct CommandDescriptor {
    /// The wire name.
    pub name: &'static str,
    /// Decodes JSON arguments into the typed form and encodes them back.
    pub arguments: fn(&serde_json::Value) -> Result<serde_json::Value, serde_json::Error>,
    /// Decodes a JSON return value into the typed form and encodes it back.
    pub returns: fn(&serde_json::Value) -> Result<serde_json::Value, serde_json::Error>,
    /// Whether it may be sent out-of-band.
    pub allow_oob: bool,
    /// Whether it replies on success.
    pub success_response: bool,
    /// [`Command::FIRST_RELEASE`].
    pub first_release: Option<&'static str>,
    /// [`Command::LAST_RELEASE`].
    pub last_release: Option<&'static str>,
}

impl CommandDescriptor {
    /// The descriptor of the command `C`: how the generated `COMMANDS`
    /// table is written.
    ///
    /// ```
    /// use qmp_types::{CommandDescriptor, cmd};
    /// const STATUS: CommandDescriptor = CommandDescriptor::of::<cmd::QueryStatus>();
    /// assert_eq!(STATUS.name, "query-status");
    /// let reply = serde_json::json!({"running": true, "status": "running"});
    /// assert_eq!((STATUS.returns)(&reply)?, reply);
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub const fn of<C: Command + DeserializeOwned>() -> Self {
        CommandDescriptor {
            name: C::NAME,
            arguments: roundtrip::<C>,
            returns: roundtrip::<C::Returns>,
            allow_oob: C::ALLOW_OOB,
            success_response: C::SUCCESS_RESPONSE,
            first_release: C::FIRST_RELEASE,
            last_release: C::LAST_RELEASE,
        }
    }
}

/// One event of a schema, for tools that work by wire name (see the
/// generated `EVENTS` table).
#[derive(Debug, Clone, Copy)]
pub struct EventDescriptor {
    /// The wire name.
    pub name: &'static str,
    /// Decodes JSON event data into the typed form and encodes it back.
    pub data: fn(&serde_json::Value) -> Result<serde_json::Value, serde_json::Error>,
    /// [`Event::FIRST_RELEASE`].
    pub first_release: Option<&'static str>,
    /// [`Event::LAST_RELEASE`].
    pub last_release: Option<&'static str>,
}

impl EventDescriptor {
    /// The descriptor of the event `E`: how the generated `EVENTS` table
    /// is written.
    pub const fn of<E: Event>() -> Self {
        EventDescriptor {
            name: E::NAME,
            data: roundtrip::<E>,
            first_release: E::FIRST_RELEASE,
            last_release: E::LAST_RELEASE,
        }
    }
}

/// Decodes `value` as a `T` and encodes it again: the typed round trip
/// the `COMMANDS` and `EVENTS` tables offer.
pub fn roundtrip<T: Serialize + DeserializeOwned>(
    value: &serde_json::Value,
) -> Result<serde_json::Value, serde_json::Error> {
    // Any depth QEMU accepts, without overflowing the stack.
    let typed: T = crate::deep::from_value(value).map_err(|e| with_path::<T>(value, e))?;
    crate::deep::to_value(&typed, crate::deep::value_depth(value))
}

/// `e`, the error of decoding `value` as a `T`, with the path of the
/// member that failed (`at `file.filename`: ...`), as the typed path of
/// the clients gives it. The fast decode does not track the path: it is
/// worked out again only when there is a failure to explain.
fn with_path<T: DeserializeOwned>(
    value: &serde_json::Value,
    e: serde_json::Error,
) -> serde_json::Error {
    let depth = crate::deep::value_depth(value);
    if depth > crate::deep::MAX_DEPTH {
        return e;
    }
    let path = crate::deep::on_stack_for(depth, || {
        serde_path_to_error::deserialize::<_, T>(value)
            .err()
            .map(|failed| failed.path().to_string())
    });
    match path {
        Some(path) if path != "." => serde::de::Error::custom(format!("at `{path}`: {e}")),
        _ => e,
    }
}

/// Helpers for the generated `Serialize` and `Deserialize` impls. Not a
/// stable API of their own.
#[doc(hidden)]
pub mod de {
    use super::*;
    use serde::de::{Error, Unexpected};

    /// An object key, borrowed from the input when it can be.
    pub struct Key<'de>(pub Cow<'de, str>);

    impl Key<'_> {
        /// The key.
        pub fn as_str(&self) -> &str {
            &self.0
        }

        /// The key, owned.
        pub fn into_string(self) -> String {
            self.0.into_owned()
        }
    }

    impl<'de> Deserialize<'de> for Key<'de> {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            struct KeyVisitor;
            impl<'de> Visitor<'de> for KeyVisitor {
                type Value = Key<'de>;
                fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    f.write_str("a member name")
                }
                fn visit_borrowed_str<E: Error>(self, v: &'de str) -> Result<Key<'de>, E> {
                    Ok(Key(Cow::Borrowed(v)))
                }
                fn visit_str<E: Error>(self, v: &str) -> Result<Key<'de>, E> {
                    Ok(Key(Cow::Owned(v.to_owned())))
                }
                fn visit_string<E: Error>(self, v: String) -> Result<Key<'de>, E> {
                    Ok(Key(Cow::Owned(v)))
                }
            }
            deserializer.deserialize_str(KeyVisitor)
        }
    }

    /// Writes an object's members into a map being serialized: how a
    /// union writes its branch's members beside its own.
    pub trait SerializeMembers {
        /// Writes the members.
        fn serialize_members<M: SerializeMap>(&self, map: &mut M) -> Result<(), M::Error>;
    }

    impl<T: SerializeMembers + ?Sized> SerializeMembers for Box<T> {
        fn serialize_members<M: SerializeMap>(&self, map: &mut M) -> Result<(), M::Error> {
            (**self).serialize_members(map)
        }
    }

    /// An object type's decoder, driven by [`deserialize_object`]: one
    /// generic visitor for every generated struct and union instead of
    /// one each.
    pub trait Object: Sized {
        /// What the decoder expects, for error messages.
        const EXPECTING: &'static str;
        /// Decodes the members.
        fn visit<'de, A: MapAccess<'de>>(map: A) -> Result<Self, A::Error>;
    }

    /// `Deserialize::deserialize` of an [`Object`].
    #[inline]
    pub fn deserialize_object<'de, T: Object, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<T, D::Error> {
        struct ObjectVisitor<T>(std::marker::PhantomData<T>);
        impl<'de, T: Object> Visitor<'de> for ObjectVisitor<T> {
            type Value = T;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(T::EXPECTING)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
                T::visit(map)
            }
        }
        deserializer.deserialize_map(ObjectVisitor(std::marker::PhantomData))
    }

    /// `Serialize::serialize` of an object: a map of its members.
    #[inline]
    pub fn serialize_object<T: SerializeMembers + ?Sized, S: Serializer>(
        value: &T,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        value.serialize_members(&mut map)?;
        map.end()
    }

    /// A generated enum's wire values, for [`deserialize_enum`].
    pub trait WireEnum: Sized {
        /// What the decoder expects, for error messages.
        const EXPECTING: &'static str;
        /// The known value for a wire string.
        fn known(value: &str) -> Option<Self>;
        /// The catch-all for a value this version does not know.
        fn other(value: String) -> Self;
    }

    /// `Deserialize::deserialize` of a [`WireEnum`].
    #[inline]
    pub fn deserialize_enum<'de, T: WireEnum, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<T, D::Error> {
        struct EnumVisitor<T>(std::marker::PhantomData<T>);
        impl<T: WireEnum> Visitor<'_> for EnumVisitor<T> {
            type Value = T;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(T::EXPECTING)
            }
            fn visit_str<E: Error>(self, value: &str) -> Result<T, E> {
                Ok(T::known(value).unwrap_or_else(|| T::other(value.to_owned())))
            }
            fn visit_string<E: Error>(self, value: String) -> Result<T, E> {
                Ok(match T::known(&value) {
                    Some(known) => known,
                    None => T::other(value),
                })
            }
        }
        deserializer.deserialize_str(EnumVisitor(std::marker::PhantomData))
    }

    /// Writes members into a map, keeping the first error: the generated
    /// encoders are straight lists of calls (no `?` per member), which
    /// keeps their bodies small for the compiler. After an error nothing
    /// more is written.
    pub struct Entries<'m, M: SerializeMap> {
        map: &'m mut M,
        error: Option<M::Error>,
    }

    impl<'m, M: SerializeMap> Entries<'m, M> {
        /// Starts writing into `map`.
        #[inline]
        pub fn new(map: &'m mut M) -> Self {
            Entries { map, error: None }
        }

        /// A member that is always present.
        #[inline]
        pub fn req<T: Serialize + ?Sized>(&mut self, key: &str, value: &T) {
            if self.error.is_none() {
                if let Err(e) = self.map.serialize_entry(key, value) {
                    self.error = Some(e);
                }
            }
        }

        /// An optional member: left out when `None`.
        #[inline]
        pub fn opt<T: Serialize>(&mut self, key: &str, value: &Option<T>) {
            if let Some(value) = value {
                self.req(key, value);
            }
        }

        /// The members of another object (a union's branch). Unions
        /// nest in their branches' members (a `raw` node over a `raw`
        /// node...): the stack grows when little is left.
        #[inline]
        pub fn members<T: SerializeMembers + ?Sized>(&mut self, value: &T) {
            if self.error.is_none() {
                if let Err(e) = crate::deep::grow(|| value.serialize_members(self.map)) {
                    self.error = Some(e);
                }
            }
        }

        /// The members kept from a newer QEMU.
        pub fn unknown(&mut self, members: &serde_json::Map<String, serde_json::Value>) {
            for (key, value) in members {
                self.req(key, value);
            }
        }

        /// The first error, if any.
        #[inline]
        pub fn finish(self) -> Result<(), M::Error> {
            match self.error {
                Some(e) => Err(e),
                None => Ok(()),
            }
        }
    }

    /// Decodes an event's data; absent data decodes as an empty object.
    pub fn event_data<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
        data: Option<D>,
    ) -> Result<T, D::Error> {
        match data {
            Some(d) => T::deserialize(d),
            None => T::deserialize(serde::de::value::MapDeserializer::<_, D::Error>::new(
                std::iter::empty::<(&str, ())>(),
            )),
        }
    }

    /// The data of an event this version does not know, kept as JSON.
    pub fn unknown_event_data<'de, D: Deserializer<'de>>(
        data: Option<D>,
    ) -> Result<Option<serde_json::Value>, D::Error> {
        data.map(serde_json::Value::deserialize).transpose()
    }

    /// Decodes the members gathered for a union branch.
    pub fn from_members<T: DeserializeOwned, E: Error>(
        members: serde_json::Map<String, serde_json::Value>,
        branch: &str,
    ) -> Result<T, E> {
        // Buffered members decode recursively, outside serde_json's depth
        // accounting: a union nested in a union's branch (a `raw` node
        // over a `raw` node...) recurses once more per level.
        crate::deep::grow(|| T::deserialize(serde_json::Value::Object(members)))
            .map_err(|e| E::custom(format_args!("in branch '{branch}': {e}")))
    }

    /// A union's map from its discriminator on, as the map of its branch:
    /// each member `common` takes (a member of the union itself, which it
    /// decodes into its field, returning `true`) is passed over, every
    /// other one is the branch's.
    pub struct BranchMembers<'m, A, F> {
        map: &'m mut A,
        common: &'m mut F,
        /// Set when a common member failed to decode: its error is the
        /// union's, not the branch's.
        common_failed: &'m mut bool,
        /// Set when the map has been read to its end.
        done: &'m mut bool,
    }

    impl<'de, A, F> MapAccess<'de> for BranchMembers<'_, A, F>
    where
        A: MapAccess<'de>,
        F: FnMut(&str, &mut A) -> Result<bool, A::Error>,
    {
        type Error = A::Error;

        fn next_key_seed<K: serde::de::DeserializeSeed<'de>>(
            &mut self,
            seed: K,
        ) -> Result<Option<K::Value>, A::Error> {
            use serde::de::value::{BorrowedStrDeserializer, StringDeserializer};
            loop {
                let Some(key) = self.map.next_key::<Key<'de>>()? else {
                    *self.done = true;
                    return Ok(None);
                };
                match (self.common)(key.as_str(), self.map) {
                    Ok(true) => continue,
                    Ok(false) => {}
                    Err(e) => {
                        *self.common_failed = true;
                        return Err(e);
                    }
                }
                return match key.0 {
                    Cow::Borrowed(k) => seed.deserialize(BorrowedStrDeserializer::new(k)),
                    Cow::Owned(k) => seed.deserialize(StringDeserializer::new(k)),
                }
                .map(Some);
            }
        }

        fn next_value_seed<V: serde::de::DeserializeSeed<'de>>(
            &mut self,
            seed: V,
        ) -> Result<V::Value, A::Error> {
            self.map.next_value_seed(seed)
        }
    }

    /// Decodes a union's branch from the rest of the union's map (see
    /// [`BranchMembers`]); errors say which branch, as those of a branch
    /// decoded from gathered members do. An error met before the end of
    /// the map is returned at once; one of the branch's at the end (a
    /// missing member) comes back inside `Ok`, so that the union can
    /// first report a missing member of its own, as it does when it
    /// decodes gathered members.
    pub fn stream_branch<'de, T, A, F>(
        map: &mut A,
        common: &mut F,
        branch: &str,
    ) -> Result<Result<T, A::Error>, A::Error>
    where
        T: Deserialize<'de>,
        A: MapAccess<'de>,
        F: FnMut(&str, &mut A) -> Result<bool, A::Error>,
    {
        let mut common_failed = false;
        let mut done = false;
        // A union in a branch recurses once more per level, outside
        // serde_json's depth accounting: grow the stack when it runs low.
        let result = crate::deep::grow(|| {
            T::deserialize(serde::de::value::MapAccessDeserializer::new(
                BranchMembers {
                    map,
                    common,
                    common_failed: &mut common_failed,
                    done: &mut done,
                },
            ))
        });
        match result {
            Ok(value) => Ok(Ok(value)),
            Err(e) if common_failed => Err(e),
            Err(e) => {
                let e = A::Error::custom(format_args!("in branch '{branch}': {e}"));
                if done { Ok(Err(e)) } else { Err(e) }
            }
        }
    }

    /// A union's discriminator given again after its branch was chosen:
    /// the same value is no news, another one an error (the members read
    /// so far were the first one's).
    pub fn repeated_tag<'de, A: MapAccess<'de>, T: Deserialize<'de> + PartialEq>(
        map: &mut A,
        first: &Option<T>,
    ) -> Result<bool, A::Error> {
        let again: T = map.next_value()?;
        if first.as_ref() == Some(&again) {
            Ok(true)
        } else {
            Err(A::Error::custom(
                "the discriminator is given twice, with two values",
            ))
        }
    }

    /// Decodes the next map value into `slot` (the decoders' per-member
    /// step; one call instead of an inline `?`, which keeps the generated
    /// bodies small for the compiler).
    #[inline]
    pub fn next<'de, A: serde::de::MapAccess<'de>, T: Deserialize<'de>>(
        map: &mut A,
        slot: &mut Option<T>,
    ) -> Result<(), A::Error> {
        *slot = Some(map.next_value()?);
        Ok(())
    }

    /// Keeps the next map value as an unknown member named `key`.
    #[inline]
    pub fn unknown<'de, A: serde::de::MapAccess<'de>>(
        map: &mut A,
        unknown: &mut serde_json::Map<String, serde_json::Value>,
        key: Key<'de>,
    ) -> Result<(), A::Error> {
        unknown.insert(key.into_string(), map.next_value()?);
        Ok(())
    }

    /// The error for a required member that is absent: one generic call
    /// per member in the generated decoders, not an inline error path
    /// (cheaper to compile).
    #[cold]
    pub fn absent<T, E: Error>(name: &'static str) -> Result<T, E> {
        Err(E::missing_field(name))
    }

    /// What an alternate expects, for its error message.
    pub struct Expected(pub &'static str);

    impl serde::de::Expected for Expected {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(self.0)
        }
    }

    /// Converts an integer for an alternate's integer branch.
    pub fn int<T: TryFrom<i128>, E: Error>(v: i128, exp: &'static str) -> Result<T, E> {
        T::try_from(v).map_err(|_| {
            E::invalid_value(Unexpected::Other("an integer out of range"), &Expected(exp))
        })
    }
}
