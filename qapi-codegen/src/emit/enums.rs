//! Enums: open. Every known value is a variant, and a catch-all keeps a
//! value a newer QEMU sends, so decoding never fails on a new value and
//! encoding gives back the same string.

use super::{Gen, ident, role_doc};
use crate::names;
use proc_macro2::TokenStream;
use qapi_parser::{EntityId, EnumType};
use quote::quote;

/// The name of the catch-all variant: `Other`, unless a value takes it.
pub(crate) fn catch_all(variants: &[String]) -> String {
    ["Other", "OtherValue", "UnknownValue"]
        .iter()
        .find(|c| !variants.iter().any(|v| v == *c))
        .map_or_else(|| "UnknownQapiValue".to_string(), |c| (*c).to_string())
}

/// The Rust variant names of an enum's values, checked for clashes.
pub(crate) fn variant_names(name: &str, e: &EnumType) -> Result<Vec<String>, crate::Error> {
    let mut out: Vec<String> = Vec::with_capacity(e.values.len());
    for v in &e.values {
        let rust = names::camel(&v.name);
        if let Some(i) = out.iter().position(|o| *o == rust) {
            return Err(crate::Error::Clash(format!(
                "values '{}' and '{}' of enum '{name}' would both be the variant `{rust}`",
                e.values[i].name, v.name
            )));
        }
        out.push(rust);
    }
    Ok(out)
}

pub(crate) fn emit(g: &Gen<'_>, id: EntityId, e: &EnumType) -> Result<TokenStream, crate::Error> {
    let entity = g.schema.entity(id);
    let name = ident(g.type_name(id));
    let doc = g.item_doc(entity, &format!("The values of `{}`.", entity.name));
    let variants = variant_names(&entity.name, e)?;
    let other = ident(&catch_all(&variants));
    let idents: Vec<_> = variants.iter().map(|v| ident(v)).collect();
    let wires: Vec<&str> = e.values.iter().map(|v| v.name.as_str()).collect();
    let docs: Vec<TokenStream> = e
        .values
        .iter()
        .map(|v| {
            role_doc(
                g,
                "value",
                &v.name,
                v.doc.as_deref(),
                v.cond.as_ref(),
                &v.features,
            )
        })
        .collect();
    let deprecated: Vec<TokenStream> = e.values.iter().map(|v| g.deprecated(&v.features)).collect();
    let derives = g.extra_derives();
    let rt_doc = " A value this version of the bindings does not know (from a newer QEMU); it never holds one of the values above.";
    let rt = &g.rt;
    let expecting = format!("a {name} value (a string)");
    Ok(quote! {
        #doc
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #derives
        pub enum #name {
            #( #docs #deprecated #idents, )*
            #[doc = #rt_doc]
            #other(::std::string::String),
        }

        impl #name {
            /// Every value this version of the bindings knows, in schema order.
            pub const VALUES: &'static [#name] = &[ #( #name::#idents ),* ];

            /// The value as sent on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    #( #name::#idents => #wires, )*
                    #name::#other(value) => value.as_str(),
                }
            }

            /// The value for a wire string (the catch-all for one this
            /// version does not know).
            pub fn from_wire(value: &str) -> Self {
                match <Self as #rt::de::WireEnum>::known(value) {
                    ::std::option::Option::Some(known) => known,
                    ::std::option::Option::None => #name::#other(value.to_owned()),
                }
            }
        }

        impl #rt::de::WireEnum for #name {
            const EXPECTING: &'static str = #expecting;

            fn other(value: ::std::string::String) -> Self {
                #name::#other(value)
            }

            fn known(value: &str) -> ::std::option::Option<Self> {
                ::std::option::Option::Some(match value {
                    #( #wires => #name::#idents, )*
                    _ => return ::std::option::Option::None,
                })
            }
        }

        impl ::std::str::FromStr for #name {
            type Err = ::std::convert::Infallible;
            fn from_str(value: &str) -> ::std::result::Result<Self, ::std::convert::Infallible> {
                ::std::result::Result::Ok(#name::from_wire(value))
            }
        }

        impl ::std::fmt::Display for #name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::serde::Serialize for #name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> ::std::result::Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for #name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
                #rt::de::deserialize_enum(deserializer)
            }
        }
    })
}
