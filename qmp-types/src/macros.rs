//! The impls every generated object and enum has, as macros.
//!
//! The generator writes each type's definition out in full (its fields
//! or variants, with their docs) and then one invocation that lists the
//! wire names: `impl_object!` for structs, `impl_enum!` for enums. What
//! the impls do is the same for every type, so it is written once here;
//! the generated files stay about a third of the size they would be with
//! every impl spelled out, which is what keeps `cargo xtask regen` fast
//! (syn and prettyplease cost time in proportion to the tokens they
//! handle, and a macro's body is a single token tree to them).
//!
//! The `Serialize` and `Deserialize` impls are `#[doc(hidden)]`: every
//! generated type has both, which the crate and module docs say once;
//! listed on each of the 1,300 pages they were a fifteenth of the
//! documentation's size (the `DeserializeOwned` every page still lists
//! shows the decoding side).
//!
//! Not a stable API of their own: the generator and these macros change
//! together.

/// The constructor, encoder and decoder of a generated struct.
///
/// One entry per field, in schema order: `req field = "wire": Type` for a
/// required member (the type is the constructor's parameter: the field's
/// type, or `impl Into<it>` so that a `&str` or an unboxed value will
/// do), `opt field
/// = "wire"` for an optional one. The struct has the fields listed plus
/// `unknown_members`, which keeps the members this version does not know.
///
/// ```
/// # use qmp_types::impl_object;
/// /// A struct like the generator writes.
/// #[derive(Debug, Clone, PartialEq)]
/// pub struct Point {
///     /// Required.
///     pub x: i64,
///     /// Optional.
///     pub label: Option<String>,
///     /// What a newer QEMU adds.
///     pub unknown_members: serde_json::Map<String, serde_json::Value>,
/// }
/// impl_object! { Point { req x = "x": i64, opt label = "label-text" } }
///
/// let p: Point = serde_json::from_str(r#"{"x": 1, "label-text": "a", "new": 2}"#)?;
/// assert_eq!((p.x, p.label.as_deref()), (1, Some("a")));
/// assert_eq!(serde_json::to_string(&p)?, r#"{"x":1,"label-text":"a","new":2}"#);
/// assert_eq!(Point::new(3).label, None);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[doc(hidden)]
#[macro_export]
// Inside the impls, `Self` and not `$name`: a type named like a generic
// parameter of the serde methods (`A`, `D`) would otherwise be shadowed.
macro_rules! impl_object {
    // A parameter typed `impl Into<T>` (a boxed member, a string) or `T`.
    (@init req $field:ident) => {
        ::std::convert::Into::into($field)
    };
    (@init opt $field:ident) => {
        ::std::option::Option::None
    };
    (@take req $field:ident $wire:literal) => {
        match $field {
            ::std::option::Option::Some(value) => value,
            ::std::option::Option::None => return $crate::de::absent($wire),
        }
    };
    (@take opt $field:ident $wire:literal) => {
        $field
    };
    // `Serialize` and `Deserialize` of an object (a struct or a union)
    // through its `SerializeMembers` and `Object` impls.
    (@serde $name:ident) => {
        #[doc(hidden)]
        impl $crate::serde::Serialize for $name {
            fn serialize<S: $crate::serde::Serializer>(
                &self,
                serializer: S,
            ) -> ::std::result::Result<S::Ok, S::Error> {
                $crate::de::serialize_object(self, serializer)
            }
        }

        #[doc(hidden)]
        impl<'de> $crate::serde::Deserialize<'de> for $name {
            fn deserialize<D: $crate::serde::Deserializer<'de>>(
                deserializer: D,
            ) -> ::std::result::Result<Self, D::Error> {
                $crate::de::deserialize_object(deserializer)
            }
        }
    };
    ($name:ident { $( $kind:ident $field:ident = $wire:literal $(: $ty:ty)? ),* $(,)? }) => {
        impl $name {
            /// Creates the value from its required members; optional members
            /// are absent.
            // The constructor takes what the schema requires.
            #[allow(clippy::too_many_arguments)]
            pub fn new($( $( $field: $ty, )? )*) -> Self {
                Self {
                    $( $field: $crate::impl_object!(@init $kind $field), )*
                    unknown_members: $crate::serde_json::Map::new(),
                }
            }
        }

        impl $crate::de::SerializeMembers for $name {
            fn serialize_members<M: $crate::serde::ser::SerializeMap>(
                &self,
                map: &mut M,
            ) -> ::std::result::Result<(), M::Error> {
                let mut members = $crate::de::Entries::new(map);
                $( members.$kind($wire, &self.$field); )*
                members.unknown(&self.unknown_members);
                members.finish()
            }
        }

        impl $crate::de::Object for $name {
            const EXPECTING: &'static str = ::std::concat!("an object ", ::std::stringify!($name));

            // A struct without members has only the catch-all arm.
            #[allow(clippy::match_single_binding)]
            fn visit<'de, A: $crate::serde::de::MapAccess<'de>>(
                mut map: A,
            ) -> ::std::result::Result<Self, A::Error> {
                // One local per member, named like its field: the struct
                // literal below gives each its type.
                $( let mut $field = ::std::option::Option::None; )*
                let mut unknown_members = $crate::serde_json::Map::new();
                while let ::std::option::Option::Some(key) =
                    $crate::serde::de::MapAccess::next_key::<$crate::de::Key<'de>>(&mut map)?
                {
                    match key.as_str() {
                        $( $wire => $crate::de::next(&mut map, &mut $field), )*
                        _ => $crate::de::unknown(&mut map, &mut unknown_members, key),
                    }?;
                }
                ::std::result::Result::Ok(Self {
                    $( $field: $crate::impl_object!(@take $kind $field $wire), )*
                    unknown_members,
                })
            }
        }

        $crate::impl_object!(@serde $name);
    };
}

/// The methods and impls of a generated open enum.
///
/// `impl_enum! { Name, Other { Variant = "wire", ... } }`: every known
/// value, in schema order, and the catch-all variant that holds a value
/// this version does not know.
///
/// ```
/// # use qmp_types::impl_enum;
/// /// An enum like the generator writes.
/// #[derive(Debug, Clone, PartialEq, Eq, Hash)]
/// pub enum Color {
///     /// `red`.
///     Red,
///     /// `light-blue`.
///     LightBlue,
///     /// A value from a newer QEMU.
///     Other(String),
/// }
/// impl_enum! { Color, Other { Red = "red", LightBlue = "light-blue" } }
///
/// assert_eq!(Color::LightBlue.as_str(), "light-blue");
/// assert_eq!("green".parse::<Color>(), Ok(Color::Other("green".into())));
/// let c: Color = serde_json::from_str(r#""red""#)?;
/// assert_eq!(c.to_string(), "red");
/// assert_eq!(Color::VALUES, [Color::Red, Color::LightBlue]);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[doc(hidden)]
#[macro_export]
macro_rules! impl_enum {
    ($name:ident, $other:ident { $( $variant:ident = $wire:literal ),* $(,)? }) => {
        impl $name {
            /// Every value this version of the bindings knows, in schema order.
            pub const VALUES: &'static [$name] = &[$( $name::$variant ),*];

            /// The value as sent on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    $( $name::$variant => $wire, )*
                    $name::$other(value) => value.as_str(),
                }
            }

            /// The value for a wire string (the catch-all for one this
            /// version does not know).
            pub fn from_wire(value: &str) -> Self {
                match <Self as $crate::de::WireEnum>::known(value) {
                    ::std::option::Option::Some(known) => known,
                    ::std::option::Option::None => $name::$other(value.to_owned()),
                }
            }
        }

        impl $crate::de::WireEnum for $name {
            const EXPECTING: &'static str =
                ::std::concat!("a ", ::std::stringify!($name), " value (a string)");

            fn other(value: ::std::string::String) -> Self {
                $name::$other(value)
            }

            fn known(value: &str) -> ::std::option::Option<Self> {
                ::std::option::Option::Some(match value {
                    $( $wire => $name::$variant, )*
                    _ => return ::std::option::Option::None,
                })
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = ::std::convert::Infallible;
            fn from_str(value: &str) -> ::std::result::Result<Self, ::std::convert::Infallible> {
                ::std::result::Result::Ok($name::from_wire(value))
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        #[doc(hidden)]
        impl $crate::serde::Serialize for $name {
            fn serialize<S: $crate::serde::Serializer>(
                &self,
                serializer: S,
            ) -> ::std::result::Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        #[doc(hidden)]
        impl<'de> $crate::serde::Deserialize<'de> for $name {
            fn deserialize<D: $crate::serde::Deserializer<'de>>(
                deserializer: D,
            ) -> ::std::result::Result<Self, D::Error> {
                $crate::de::deserialize_enum(deserializer)
            }
        }
    };
}

/// The methods, encoder and decoder of a generated union and its enum of
/// branches.
///
/// ```text
/// impl_union! {
///     Union, UnionBranch, Other,
///     field = "wire-name": DiscriminatorEnum, Other,
///     {
///         req member = "member": Type,   // common members, as in impl_object!
///         opt other_member = "other-member",
///     }
///     {
///         members Variant = "value" => EnumVariant, // a branch with members
///         boxed Variant = "value" => EnumVariant,   // the same, boxed (recursion)
///         empty Variant = "value" => EnumVariant,   // a branch without members
///     }
/// }
/// ```
///
/// The first `Other` is the branch enum's catch-all variant; `field` is
/// the union's field that holds the branch, `"wire-name"` the
/// discriminator's name on the wire, then its enum and that enum's
/// catch-all variant.
#[doc(hidden)]
#[macro_export]
macro_rules! impl_union {
    (@pat members $branch:ident $variant:ident $bind:pat) => {
        $branch::$variant($bind)
    };
    (@pat boxed $branch:ident $variant:ident $bind:pat) => {
        $branch::$variant($bind)
    };
    (@pat empty $branch:ident $variant:ident $bind:pat) => {
        $branch::$variant
    };
    (@ser empty $members:ident $bind:ident) => {
        {}
    };
    (@ser $kind:ident $members:ident $bind:ident) => {
        $members.members($bind)
    };
    (@de members $branch:ident $variant:ident $wire:literal $rest:ident $unknown:ident) => {
        $branch::$variant($crate::de::from_members($rest, $wire)?)
    };
    (@de boxed $branch:ident $variant:ident $wire:literal $rest:ident $unknown:ident) => {
        $branch::$variant(::std::boxed::Box::new($crate::de::from_members($rest, $wire)?))
    };
    (@stream members $branch:ident $variant:ident $wire:literal $map:ident $common:ident) => {
        ::std::option::Option::Some(
            $crate::de::stream_branch(&mut $map, &mut $common, $wire)?.map($branch::$variant),
        )
    };
    (@stream boxed $branch:ident $variant:ident $wire:literal $map:ident $common:ident) => {
        ::std::option::Option::Some(
            $crate::de::stream_branch(&mut $map, &mut $common, $wire)?
                .map(|b| $branch::$variant(::std::boxed::Box::new(b))),
        )
    };
    // A branch without members has nothing to stream.
    (@stream empty $branch:ident $variant:ident $wire:literal $map:ident $common:ident) => {
        ::std::option::Option::None
    };
    (@de empty $branch:ident $variant:ident $wire:literal $rest:ident $unknown:ident) => {{
        $unknown = $rest;
        $branch::$variant
    }};
    (
        $name:ident, $branch:ident, $other:ident,
        $disc:ident = $disc_wire:literal: $tag:ty, $tag_other:ident, $(default $default:ident,)?
        { $( $kind:ident $field:ident = $wire:literal $(: $ty:ty)? ),* $(,)? }
        { $( $bkind:ident $variant:ident = $bwire:literal => $tag_variant:ident ),* $(,)? }
    ) => {
        impl $branch {
            /// The discriminator value on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    $( $crate::impl_union!(@pat $bkind $branch $variant _) => $bwire, )*
                    $branch::$other(value) => value.as_str(),
                }
            }

            /// The discriminator value.
            pub fn discriminator(&self) -> $tag {
                match self {
                    $( $crate::impl_union!(@pat $bkind $branch $variant _) => <$tag>::$tag_variant, )*
                    $branch::$other(value) => <$tag>::$tag_other(value.clone()),
                }
            }
        }

        impl $crate::de::SerializeMembers for $name {
            fn serialize_members<M: $crate::serde::ser::SerializeMap>(
                &self,
                map: &mut M,
            ) -> ::std::result::Result<(), M::Error> {
                let mut members = $crate::de::Entries::new(map);
                $( members.$kind($wire, &self.$field); )*
                members.req($disc_wire, self.$disc.as_str());
                match &self.$disc {
                    $(
                        $crate::impl_union!(@pat $bkind $branch $variant branch) =>
                            $crate::impl_union!(@ser $bkind members branch),
                    )*
                    $branch::$other(_) => {}
                }
                members.unknown(&self.unknown_members);
                members.finish()
            }
        }

        impl $crate::de::Object for $name {
            const EXPECTING: &'static str = ::std::concat!("an object ", ::std::stringify!($name));

            fn visit<'de, A: $crate::serde::de::MapAccess<'de>>(
                mut map: A,
            ) -> ::std::result::Result<Self, A::Error> {
                $( let mut $field = ::std::option::Option::None; )*
                let mut tag: ::std::option::Option<$tag> = ::std::option::Option::None;
                // The members that are not common ones: the branch's, and
                // any a newer QEMU adds.
                let mut rest = $crate::serde_json::Map::new();
                // The branch, when the discriminator came before any of
                // its members (QEMU writes it first): it is decoded from
                // the rest of the map as it comes, the common members
                // that follow going to their fields. Otherwise its
                // members are gathered in `rest` and decoded after.
                let mut streamed: ::std::option::Option<::std::result::Result<$branch, A::Error>> =
                    ::std::option::Option::None;
                while let ::std::option::Option::Some(key) =
                    $crate::serde::de::MapAccess::next_key::<$crate::de::Key<'de>>(&mut map)?
                {
                    match key.as_str() {
                        $( $wire => $crate::de::next(&mut map, &mut $field)?, )*
                        $disc_wire => {
                            $crate::de::next(&mut map, &mut tag)?;
                            if rest.is_empty() {
                                let mut common = |key: &str, map: &mut A| match key {
                                    $( $wire => $crate::de::next(map, &mut $field).map(|()| true), )*
                                    $disc_wire => $crate::de::repeated_tag(map, &tag),
                                    _ => ::std::result::Result::Ok(false),
                                };
                                streamed = match &tag {
                                    $(
                                        ::std::option::Option::Some(<$tag>::$tag_variant) => $crate::impl_union!(
                                            @stream $bkind $branch $variant $bwire map common
                                        ),
                                    )*
                                    _ => ::std::option::Option::None,
                                };
                                if streamed.is_some() {
                                    break;
                                }
                            }
                        }
                        _ => $crate::de::unknown(&mut map, &mut rest, key)?,
                    }
                }
                #[allow(unused_mut)]
                let mut unknown_members = $crate::serde_json::Map::new();
                // Fields in order: a missing common member is reported
                // before a missing discriminator.
                ::std::result::Result::Ok(Self {
                    $( $field: $crate::impl_object!(@take $kind $field $wire), )*
                    $disc: if let ::std::option::Option::Some(branch) = streamed { branch? } else { match {
                        // A union whose older releases sent no tag: the
                        // branch they meant.
                        $( if tag.is_none() { tag = ::std::option::Option::Some(<$tag>::$default); } )?
                        $crate::impl_object!(@take req tag $disc_wire)
                    } {
                        $(
                            <$tag>::$tag_variant => $crate::impl_union!(
                                @de $bkind $branch $variant $bwire rest unknown_members
                            ),
                        )*
                        // Only the catch-all is left: a value this version
                        // does not know.
                        tag => {
                            unknown_members = rest;
                            $branch::$other(::std::string::ToString::to_string(tag.as_str()))
                        }
                    } },
                    unknown_members,
                })
            }
        }

        $crate::impl_object!(@serde $name);
    };
}

/// The encoder and decoder of a type without members (the arguments of
/// a command that takes none, the data of an event that has none): an
/// empty object on the wire, whose unknown members are ignored.
#[doc(hidden)]
#[macro_export]
macro_rules! impl_unit {
    ($name:ident) => {
        #[doc(hidden)]
        impl $crate::serde::Serialize for $name {
            fn serialize<S: $crate::serde::Serializer>(
                &self,
                serializer: S,
            ) -> ::std::result::Result<S::Ok, S::Error> {
                $crate::serde::Serialize::serialize(&$crate::Empty::default(), serializer)
            }
        }

        #[doc(hidden)]
        impl<'de> $crate::serde::Deserialize<'de> for $name {
            fn deserialize<D: $crate::serde::Deserializer<'de>>(
                deserializer: D,
            ) -> ::std::result::Result<Self, D::Error> {
                <$crate::Empty as $crate::serde::Deserialize>::deserialize(deserializer)
                    .map(|_| Self)
            }
        }
    };
}

/// `From`, the encoder and the decoder of a command's arguments (or an
/// event's data) that are a named type: `impl_wrapper! { Name(Type) }`.
#[doc(hidden)]
#[macro_export]
macro_rules! impl_wrapper {
    ($name:ident($inner:ty)) => {
        impl ::std::convert::From<$inner> for $name {
            fn from(value: $inner) -> Self {
                $name(value)
            }
        }

        #[doc(hidden)]
        impl $crate::serde::Serialize for $name {
            fn serialize<S: $crate::serde::Serializer>(
                &self,
                serializer: S,
            ) -> ::std::result::Result<S::Ok, S::Error> {
                $crate::serde::Serialize::serialize(&self.0, serializer)
            }
        }

        #[doc(hidden)]
        impl<'de> $crate::serde::Deserialize<'de> for $name {
            fn deserialize<D: $crate::serde::Deserializer<'de>>(
                deserializer: D,
            ) -> ::std::result::Result<Self, D::Error> {
                <$inner as $crate::serde::Deserialize>::deserialize(deserializer).map(Self)
            }
        }
    };
}

/// For the generated event set: `From` each event type, its [`EventIn`]
/// impl, and the set's `get::<T>()` and `into::<T>()`.
///
/// [`EventIn`]: crate::EventIn
#[doc(hidden)]
#[macro_export]
macro_rules! impl_event_variants {
    ($set:ident { $( $variant:ident => $ty:ty ),* $(,)? }) => {
        $(
            #[allow(deprecated)]
            impl ::std::convert::From<$ty> for $set {
                fn from(event: $ty) -> Self {
                    $set::$variant(event)
                }
            }

            #[allow(deprecated)]
            impl $crate::EventIn<$set> for $ty {
                fn get(set: &$set) -> ::std::option::Option<&Self> {
                    match set {
                        $set::$variant(event) => ::std::option::Option::Some(event),
                        _ => ::std::option::Option::None,
                    }
                }

                fn take(set: $set) -> ::std::result::Result<Self, $set> {
                    match set {
                        $set::$variant(event) => ::std::result::Result::Ok(event),
                        other => ::std::result::Result::Err(other),
                    }
                }
            }
        )*

        impl $set {
            /// The event of type `T`, if this is one: `events.get::<event::Stop>()`.
            pub fn get<T: $crate::EventIn<$set>>(&self) -> ::std::option::Option<&T> {
                T::get(self)
            }

            /// The event of type `T`, or the event back when it is another.
            // The event comes back whole, as it came: boxing it for the
            // error's sake would cost every caller an allocation.
            #[allow(clippy::result_large_err)]
            pub fn into<T: $crate::EventIn<$set>>(self) -> ::std::result::Result<T, Self> {
                T::take(self)
            }
        }
    };
}

/// For the arguments of a `'gen': false` command (`device_add`), whose
/// members the schema leaves open: `with(name, value)` sets one.
#[doc(hidden)]
#[macro_export]
macro_rules! impl_open_members {
    ($name:ident) => {
        impl $name {
            /// Sets the member `name` the schema leaves open (a device
            /// property, for `device_add`), to any JSON value: a string, a
            /// number, a bool, or a `serde_json::Value`.
            ///
            /// ```
            /// # use qmp_types::cmd::DeviceAdd;
            /// let add = DeviceAdd::new("scsi-hd").with("drive", "disk0").with("bootindex", 1);
            /// assert_eq!(add.unknown_members["drive"], "disk0");
            /// ```
            pub fn with(
                mut self,
                name: impl ::std::convert::Into<::std::string::String>,
                value: impl ::std::convert::Into<$crate::serde_json::Value>,
            ) -> Self {
                self.unknown_members.insert(name.into(), value.into());
                self
            }
        }
    };
}
