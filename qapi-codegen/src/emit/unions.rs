//! Unions: the common members, and an enum of branches selected by the
//! discriminator (a field named after it). A discriminator value without
//! a branch decodes as a branch-less variant; a value this version does
//! not know keeps its name, and in both cases the members that no struct
//! takes are kept in `unknown_members`.
//!
//! Decoding reads the object once, keeping the members that are not
//! common ones; when the discriminator is known they are decoded into
//! the branch. Errors say which branch failed.

use super::enums::{catch_all, variant_names};
use super::structs::{FieldTokens, UNKNOWN, field_tokens, fields};
use super::{Gen, Scope, ident};
use crate::{Error, names};
use proc_macro2::TokenStream;
use qapi_parser::{EntityId, EntityKind, UnionType};
use quote::{format_ident, quote};

pub(crate) fn emit(g: &Gen<'_>, id: EntityId, u: &UnionType) -> Result<TokenStream, Error> {
    let rt = &g.rt;
    let e = g.schema.entity(id);
    let name = ident(g.type_name(id));
    let branch_ty = format_ident!("{}Branch", g.type_name(id));
    let doc = g.item_doc(e, &format!("The `{}` union.", e.name));
    let all = g.schema.all_members(id);
    let common: Vec<_> = all
        .iter()
        .copied()
        .filter(|m| m.name != u.discriminator)
        .collect();
    let fields = fields(g, &e.name, id, &common, Scope::Module)?;
    let disc_field = ident(&names::field(&u.discriminator));
    if fields.iter().any(|f| f.ident == disc_field) || disc_field == ident(UNKNOWN) {
        return Err(Error::Clash(format!(
            "the discriminator of union '{}' clashes with a member",
            e.name
        )));
    }
    let tag_ty = g.rust_type(&u.discriminator_type, Scope::Module);
    let EntityKind::Enum(tag_enum) = &g.schema.entity(u.discriminator_type.id).kind else {
        return Err(Error::Config(format!(
            "the discriminator of union '{}' is not an enum",
            e.name
        )));
    };
    // Branch variants are named like the discriminator enum's variants.
    let tag_variants = variant_names(&g.schema.entity(u.discriminator_type.id).name, tag_enum)?;
    let tag_other = ident(&catch_all(&tag_variants));
    let variants: Vec<String> = u.branches.iter().map(|b| names::camel(&b.name)).collect();
    let other = ident(&catch_all(&variants));

    let unknown = ident(UNKNOWN);
    let mut defs = Vec::new();
    let mut wire_arms = Vec::new();
    let mut tag_arms = Vec::new();
    let mut ser_arms = Vec::new();
    let mut de_arms = Vec::new();
    for (b, v) in u.branches.iter().zip(&variants) {
        let v = ident(v);
        let tv = tag_variants
            .iter()
            .zip(&tag_enum.values)
            .find(|(_, val)| val.name == b.name)
            .map(|(t, _)| ident(t))
            .unwrap_or_else(|| v.clone());
        let wire = &b.name;
        let mut text = if b.explicit {
            let t = g.type_name(b.ty.id);
            format!("Branch `{wire}`: [the members of `{t}`](super::{t}).")
        } else {
            format!("Branch `{wire}`, which has no members of its own.")
        };
        if let Some(c) = &b.cond {
            super::push_para(
                &mut text,
                &format!("**Availability:** only when QEMU is built with `{c}`."),
            );
        }
        let d = super::doc_attrs(&text);
        if b.explicit {
            let ty = g.member_type(id, &b.ty, Scope::Module);
            defs.push(quote!(#d #v(#ty),));
            ser_arms.push(quote!(#branch_ty::#v(branch) => members.members(branch),));
            let decode = if g.needs_box(id, b.ty.id) {
                quote!(::std::boxed::Box::new(#rt::de::from_members(rest, #wire)?))
            } else {
                quote!(#rt::de::from_members(rest, #wire)?)
            };
            de_arms.push(quote!(#tag_ty::#tv => #branch_ty::#v(#decode),));
            wire_arms.push(quote!(#branch_ty::#v(_) => #wire,));
            tag_arms.push(quote!(#branch_ty::#v(_) => #tag_ty::#tv,));
        } else {
            defs.push(quote!(#d #v,));
            ser_arms.push(quote!(#branch_ty::#v => {}));
            de_arms.push(quote!(#tag_ty::#tv => { #unknown = rest; #branch_ty::#v }));
            wire_arms.push(quote!(#branch_ty::#v => #wire,));
            tag_arms.push(quote!(#branch_ty::#v => #tag_ty::#tv,));
        }
    }

    let FieldTokens {
        defs: field_defs,
        ser,
        decl_vars,
        arms,
        builds,
        take_required,
    } = field_tokens(g, &fields);
    let disc_doc = super::doc_attrs(&format!(
        "The branch, selected by the discriminator `{}`: its value and the branch's members.",
        u.discriminator
    ));
    let disc_wire = &u.discriminator;
    let expecting = format!("an object {name}");
    let branch_doc = format!(" The branches of [`{name}`], selected by `{disc_wire}`.");
    let other_doc = " A discriminator value this version of the bindings does not know; the branch's members are in `unknown_members`.";
    let derives = g.extra_derives();
    Ok(quote! {
        #doc
        #[derive(Debug, Clone, PartialEq)]
        #derives
        pub struct #name {
            #( #field_defs )*
            #disc_doc
            pub #disc_field: #branch_ty,
            /// Members this version of the bindings does not know (sent by a
            /// newer QEMU), kept so that encoding gives back what was received.
            pub #unknown: ::serde_json::Map<::std::string::String, ::serde_json::Value>,
        }

        #[doc = #branch_doc]
        #[derive(Debug, Clone, PartialEq)]
        // Variants mirror the schema's branches; boxing them would change the API.
        #[allow(clippy::large_enum_variant)]
        #derives
        pub enum #branch_ty {
            #( #defs )*
            #[doc = #other_doc]
            #other(::std::string::String),
        }

        impl #branch_ty {
            /// The discriminator value on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    #( #wire_arms )*
                    #branch_ty::#other(value) => value.as_str(),
                }
            }

            /// The discriminator value.
            pub fn discriminator(&self) -> #tag_ty {
                match self {
                    #( #tag_arms )*
                    #branch_ty::#other(value) => #tag_ty::#tag_other(value.clone()),
                }
            }
        }

        impl #rt::de::SerializeMembers for #name {
            fn serialize_members<M: ::serde::ser::SerializeMap>(&self, map: &mut M) -> ::std::result::Result<(), M::Error> {
                let mut members = #rt::de::Entries::new(map);
                #( #ser )*
                members.req(#disc_wire, self.#disc_field.as_str());
                match &self.#disc_field {
                    #( #ser_arms )*
                    #branch_ty::#other(_) => {}
                }
                members.unknown(&self.#unknown);
                members.finish()
            }
        }

        impl ::serde::Serialize for #name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> ::std::result::Result<S::Ok, S::Error> {
                #rt::de::serialize_object(self, serializer)
            }
        }

        impl #rt::de::Object for #name {
            const EXPECTING: &'static str = #expecting;

            fn visit<'de, A: ::serde::de::MapAccess<'de>>(mut map: A) -> ::std::result::Result<Self, A::Error> {
                        #( #decl_vars )*
                        let mut tag: ::std::option::Option<#tag_ty> = ::std::option::Option::None;
                        let mut rest = ::serde_json::Map::new();
                        while let ::std::option::Option::Some(key) = ::serde::de::MapAccess::next_key::<#rt::de::Key<'de>>(&mut map)? {
                            match key.as_str() {
                                #( #arms )*
                                #disc_wire => #rt::de::next(&mut map, &mut tag),
                                _ => #rt::de::unknown(&mut map, &mut rest, key),
                            }?;
                        }
                        #take_required
                        let tag = #rt::de::required(tag, #disc_wire)?;
                        #[allow(unused_mut)]
                        let mut #unknown = ::serde_json::Map::new();
                        let branch = match tag {
                            #( #de_arms )*
                            #tag_ty::#tag_other(value) => {
                                #unknown = rest;
                                #branch_ty::#other(value)
                            }
                        };
                        ::std::result::Result::Ok(#name { #( #builds )* #disc_field: branch, #unknown })
                    }
        }

        impl<'de> ::serde::Deserialize<'de> for #name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
                #rt::de::deserialize_object(deserializer)
            }
        }
    })
}
