//! Alternates: an enum chosen by the JSON type of the value. A value of
//! another type is an error that says which kinds were expected.

use super::{Gen, Role, Scope, ident};
use crate::{Error, names};
use proc_macro2::TokenStream;
use qapi_schema_parser::{AlternateType, Builtin, EntityId, EntityKind};
use quote::quote;

/// What JSON a branch takes.
enum Kind {
    Str,
    Enum,
    Bool,
    Int,
    Float,
    Null,
    Object,
    Array,
}

pub(crate) fn emit(g: &Gen<'_>, id: EntityId, a: &AlternateType) -> Result<TokenStream, Error> {
    let rt = &g.rt;
    let e = g.schema.entity(id);
    let name = ident(g.type_name(id));
    let doc = g.type_doc(id, &format!("The `{}` alternate.", e.name));
    let mut variants = Vec::new();
    let mut ser = Vec::new();
    let mut visits = Vec::new();
    let mut expected = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    let mut int_branch = None;
    let mut float_branch = None;
    // (the branch's Rust type, its variant, whether it is boxed, whether it
    // takes a string): each type that only one branch has converts.
    let mut conversions: Vec<(String, TokenStream, proc_macro2::Ident, bool, bool)> = Vec::new();
    for b in &a.branches {
        let v_name = names::camel(&b.name);
        if seen.contains(&v_name) {
            return Err(Error::Clash(format!(
                "branches of alternate '{}' would both be the variant `{v_name}`",
                e.name
            )));
        }
        seen.push(v_name.clone());
        let v = ident(&v_name);
        let d = Role {
            role: "branch",
            name: &b.name,
            doc: b.doc.as_deref(),
            cond: b.cond.as_ref(),
            features: &[],
            since: None,
        }
        .doc(g);
        let t = g.schema.entity(b.ty.id);
        let kind = match &t.kind {
            EntityKind::Builtin { builtin } => match builtin {
                Builtin::Str => Kind::Str,
                Builtin::Bool => Kind::Bool,
                Builtin::Null => Kind::Null,
                Builtin::Number => Kind::Float,
                Builtin::Any => {
                    return Err(Error::Config(format!(
                        "alternate '{}' has an 'any' branch",
                        e.name
                    )));
                }
                _ => Kind::Int,
            },
            EntityKind::Enum(_) => Kind::Enum,
            EntityKind::Array(_) => Kind::Array,
            _ => Kind::Object,
        };
        if let Kind::Null = kind {
            variants.push(quote!(#d #v,));
            ser.push(quote!(#name::#v => serializer.serialize_unit(),));
            visits.push(quote! {
                fn visit_unit<E: #rt::serde::de::Error>(self) -> ::std::result::Result<#name, E> {
                    ::std::result::Result::Ok(#name::#v)
                }
                fn visit_none<E: #rt::serde::de::Error>(self) -> ::std::result::Result<#name, E> {
                    ::std::result::Result::Ok(#name::#v)
                }
            });
            expected.push("null");
            continue;
        }
        let ty = g.member_type(id, &b.ty, Scope::Module);
        variants.push(quote!(#d #v(#ty),));
        ser.push(quote!(#name::#v(value) => #rt::serde::Serialize::serialize(value, serializer),));
        let boxed = g.needs_box(id, b.ty.id);
        let plain = g.rust_type(&b.ty, Scope::Module);
        conversions.push((
            plain.to_string(),
            plain,
            v.clone(),
            boxed,
            matches!(kind, Kind::Str),
        ));
        let wrap = |inner: TokenStream| {
            if boxed {
                quote!(::std::boxed::Box::new(#inner))
            } else {
                inner
            }
        };
        match kind {
            Kind::Str | Kind::Enum => {
                let (from_ref, from_owned) = match kind {
                    Kind::Str => (quote!(value.to_owned()), quote!(value)),
                    _ => {
                        let et = g.rust_type(&b.ty, Scope::Module);
                        (
                            quote!(#et::from_wire(value)),
                            quote!(#et::from_wire(&value)),
                        )
                    }
                };
                let (r, o) = (wrap(from_ref), wrap(from_owned));
                visits.push(quote! {
                    fn visit_str<E: #rt::serde::de::Error>(self, value: &str) -> ::std::result::Result<#name, E> {
                        ::std::result::Result::Ok(#name::#v(#r))
                    }
                    fn visit_string<E: #rt::serde::de::Error>(self, value: ::std::string::String) -> ::std::result::Result<#name, E> {
                        ::std::result::Result::Ok(#name::#v(#o))
                    }
                });
                expected.push("a string");
            }
            Kind::Bool => {
                visits.push(quote! {
                    fn visit_bool<E: #rt::serde::de::Error>(self, value: bool) -> ::std::result::Result<#name, E> {
                        ::std::result::Result::Ok(#name::#v(value))
                    }
                });
                expected.push("a boolean");
            }
            Kind::Int => {
                int_branch = Some((v.clone(), t.name.clone()));
                expected.push("an integer");
            }
            Kind::Float => {
                float_branch = Some(v.clone());
                expected.push("a number");
            }
            Kind::Object => {
                let inner = wrap(quote!(#rt::serde::Deserialize::deserialize(
                    #rt::serde::de::value::MapAccessDeserializer::new(map)
                )?));
                visits.push(quote! {
                    fn visit_map<A: #rt::serde::de::MapAccess<'de>>(self, map: A) -> ::std::result::Result<#name, A::Error> {
                        ::std::result::Result::Ok(#name::#v(#inner))
                    }
                });
                expected.push("an object");
            }
            Kind::Array => {
                let inner = wrap(quote!(#rt::serde::Deserialize::deserialize(
                    #rt::serde::de::value::SeqAccessDeserializer::new(seq)
                )?));
                visits.push(quote! {
                    fn visit_seq<A: #rt::serde::de::SeqAccess<'de>>(self, seq: A) -> ::std::result::Result<#name, A::Error> {
                        ::std::result::Result::Ok(#name::#v(#inner))
                    }
                });
                expected.push("an array");
            }
            Kind::Null => {}
        }
    }
    let exp = format!("{} for {}", expected.join(" or "), e.name);
    // Integers go to the integer branch (range-checked); other numbers,
    // and integers when there is no integer branch, to the number branch.
    match (&int_branch, &float_branch) {
        (Some((v, tname)), f) => {
            let what = format!("an integer in the range of {tname}");
            visits.push(quote! {
                fn visit_i64<E: #rt::serde::de::Error>(self, value: i64) -> ::std::result::Result<#name, E> {
                    ::std::result::Result::Ok(#name::#v(#rt::de::int(i128::from(value), #what)?))
                }
                fn visit_u64<E: #rt::serde::de::Error>(self, value: u64) -> ::std::result::Result<#name, E> {
                    ::std::result::Result::Ok(#name::#v(#rt::de::int(i128::from(value), #what)?))
                }
            });
            if let Some(fv) = f {
                visits.push(quote! {
                    fn visit_f64<E: #rt::serde::de::Error>(self, value: f64) -> ::std::result::Result<#name, E> {
                        ::std::result::Result::Ok(#name::#fv(value))
                    }
                });
            }
        }
        (None, Some(fv)) => visits.push(quote! {
            fn visit_f64<E: #rt::serde::de::Error>(self, value: f64) -> ::std::result::Result<#name, E> {
                ::std::result::Result::Ok(#name::#fv(value))
            }
            fn visit_i64<E: #rt::serde::de::Error>(self, value: i64) -> ::std::result::Result<#name, E> {
                ::std::result::Result::Ok(#name::#fv(value as f64))
            }
            fn visit_u64<E: #rt::serde::de::Error>(self, value: u64) -> ::std::result::Result<#name, E> {
                ::std::result::Result::Ok(#name::#fv(value as f64))
            }
        }),
        (None, None) => {}
    }
    let derives = g.extra_derives();
    // `From` each branch's type (boxing inside when the branch is boxed),
    // and `From<&str>` for the string branch: `BlockdevRef::from("disk0")`.
    let mut froms = Vec::new();
    for (text, ty, v, boxed, string) in &conversions {
        if conversions.iter().filter(|c| &c.0 == text).count() > 1 {
            continue;
        }
        let value = if *boxed {
            quote!(::std::boxed::Box::new(value))
        } else {
            quote!(value)
        };
        froms.push(quote! {
            impl ::std::convert::From<#ty> for #name {
                fn from(value: #ty) -> Self {
                    #name::#v(#value)
                }
            }
        });
        if *string {
            froms.push(quote! {
                impl ::std::convert::From<&str> for #name {
                    fn from(value: &str) -> Self {
                        #name::#v(value.to_owned())
                    }
                }
            });
        }
    }
    Ok(quote! {
        #doc
        #[derive(Debug, Clone, PartialEq)]
        // Variants mirror the schema's branches; boxing them would change the API.
        #[allow(clippy::large_enum_variant)]
        #derives
        pub enum #name {
            #( #variants )*
        }

        #( #froms )*

        // Every generated type implements both; the crate docs say so
        // once instead of each page (see qmp_types::macros).
        #[doc(hidden)]
        impl #rt::serde::Serialize for #name {
            fn serialize<S: #rt::serde::Serializer>(&self, serializer: S) -> ::std::result::Result<S::Ok, S::Error> {
                match self {
                    #( #ser )*
                }
            }
        }

        #[doc(hidden)]
        impl<'de> #rt::serde::Deserialize<'de> for #name {
            fn deserialize<D: #rt::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
                struct V;
                impl<'de> #rt::serde::de::Visitor<'de> for V {
                    type Value = #name;
                    fn expecting(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                        f.write_str(#exp)
                    }
                    #( #visits )*
                }
                deserializer.deserialize_any(V)
            }
        }
    })
}
