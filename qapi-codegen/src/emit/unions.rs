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
use super::structs::{UNKNOWN, field_def, fields, object_block};
use super::verbatim::{literal, type_text};
use super::{Gen, Scope, ident};
use crate::{Error, names};
use proc_macro2::TokenStream;
use qapi_schema_parser::{EntityId, EntityKind, UnionType};
use quote::{format_ident, quote};

pub(crate) fn emit(g: &Gen<'_>, id: EntityId, u: &UnionType) -> Result<TokenStream, Error> {
    let rt = &g.rt;
    let e = g.schema.entity(id);
    let name = ident(g.type_name(id));
    let branch_ty = format_ident!("{}Branch", g.type_name(id));
    let doc = g.type_doc(id, &format!("The `{}` union.", e.name));
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
    let mut branch_entries = Vec::new();
    // `From` each branch type that only one branch has: the branch, and
    // (through `new`) the union without its optional common members.
    let branch_types: Vec<String> = u
        .branches
        .iter()
        .filter(|b| b.explicit)
        .map(|b| g.rust_type(&b.ty, Scope::Module).to_string())
        .collect();
    // What the wrapper branches (`{ 'data': T }`) wrap, likewise unique.
    let wrapped_types: Vec<String> = u
        .branches
        .iter()
        .filter(|b| b.explicit)
        .filter_map(|b| super::structs::wrapped(g, b.ty.id))
        .map(|t| g.rust_type(t, Scope::Module).to_string())
        .collect();
    let mut froms = Vec::new();
    // The types that convert into the branch enum.
    let mut convertible = Vec::new();
    for (b, v) in u.branches.iter().zip(&variants) {
        let tv = tag_variants
            .iter()
            .zip(&tag_enum.values)
            .find(|(_, val)| val.name == b.name)
            .map_or_else(|| v.clone(), |(t, _)| t.clone());
        let v = ident(v);
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
        let d = g.verbatim.doc(&text);
        let kind = if b.explicit {
            let ty = g.member_type(id, &b.ty, Scope::Module);
            defs.push(quote!(#d #v(#ty),));
            let plain = g.rust_type(&b.ty, Scope::Module);
            let text = plain.to_string();
            if branch_types.iter().filter(|t| **t == text).count() == 1 {
                let value = if g.needs_box(id, b.ty.id) {
                    quote!(::std::boxed::Box::new(value))
                } else {
                    quote!(value)
                };
                froms.push(quote! {
                    impl ::std::convert::From<#plain> for #branch_ty {
                        fn from(value: #plain) -> Self {
                            #branch_ty::#v(#value)
                        }
                    }
                });
                convertible.push(plain.clone());
            }
            // Through a wrapper: `TransactionActionBranch::from(BlockdevSnapshotSync)`.
            if let Some(inner) = super::structs::wrapped(g, b.ty.id) {
                let inner_ty = g.rust_type(inner, Scope::Module);
                let inner_text = inner_ty.to_string();
                if wrapped_types.iter().filter(|t| **t == inner_text).count() == 1
                    && !branch_types.contains(&inner_text)
                {
                    let value = if g.needs_box(id, b.ty.id) {
                        quote!(::std::boxed::Box::new(::std::convert::From::from(value)))
                    } else {
                        quote!(::std::convert::From::from(value))
                    };
                    froms.push(quote! {
                        impl ::std::convert::From<#inner_ty> for #branch_ty {
                            fn from(value: #inner_ty) -> Self {
                                #branch_ty::#v(#value)
                            }
                        }
                    });
                    convertible.push(inner_ty);
                }
            }
            if g.needs_box(id, b.ty.id) {
                "boxed"
            } else {
                "members"
            }
        } else {
            defs.push(quote!(#d #v,));
            "empty"
        };
        branch_entries.push(format!("    {kind} {v} = {} => {tv},", literal(wire)));
    }

    // `new`: the required common members, then the branch (anything that
    // converts into it); the optional members are absent.
    let required: Vec<_> = fields.iter().filter(|f| !f.optional()).collect();
    let params = required
        .iter()
        .map(|f| {
            let i = &f.ident;
            let t: TokenStream = super::structs::param_type(&type_text(&f.ty))
                .parse()
                .map_err(|_| Error::Config(format!("bad parameter type in union '{}'", e.name)))?;
            Ok(quote!(#i: #t))
        })
        .collect::<Result<Vec<_>, Error>>()?;
    let inits = fields.iter().map(|f| {
        let i = &f.ident;
        if f.optional() {
            quote!(#i: ::std::option::Option::None)
        } else {
            quote!(#i: ::std::convert::Into::into(#i))
        }
    });
    // Without required common members, the union converts from what its
    // branch does: `TransactionAction::from(BlockdevSnapshotSync { .. })`.
    if required.is_empty() {
        for t in &convertible {
            froms.push(quote! {
                impl ::std::convert::From<#t> for #name {
                    fn from(value: #t) -> Self {
                        #name::new(value)
                    }
                }
            });
        }
    }
    let new_doc = format!(
        " Creates the union from its required common members and its branch (selected by `{}`); the optional members are absent.",
        u.discriminator
    );
    let field_defs = fields.iter().map(|f| field_def(g, f));
    let default = g.cfg.default_branches.get(&e.name);
    let mut disc_text = format!(
        "The branch, selected by the discriminator `{}`: its value and the branch's members.",
        u.discriminator
    );
    let mut default_entry = String::new();
    if let Some((value, why)) = default {
        let Some(i) = tag_enum.values.iter().position(|v| v.name == *value) else {
            return Err(Error::Config(format!(
                "the default branch '{value}' of union '{}' is not a value of its discriminator",
                e.name
            )));
        };
        disc_text.push_str(&format!(
            "\n\nAn object without `{}` ({why}) is read as `{value}`.",
            u.discriminator
        ));
        default_entry = format!(" default {},", tag_variants[i]);
    }
    let disc_doc = g.verbatim.doc(&disc_text);
    let disc_wire = &u.discriminator;
    let branch_doc = format!(" The branches of [`{name}`], selected by `{disc_wire}`.");
    let other_doc = " A discriminator value this version of the bindings does not know; the branch's members are in `unknown_members`.";
    let derives = g.extra_derives();
    // The methods and impls are the same for every union: the runtime's
    // macro writes them from the wire names.
    let mut body = vec![
        format!("{name}, {branch_ty}, {other},"),
        format!(
            "{disc_field} = {}: {}, {tag_other},{default_entry}",
            literal(disc_wire),
            type_text(&tag_ty)
        ),
    ];
    body.extend(object_block("", &fields));
    body.push("{".into());
    body.extend(branch_entries);
    body.push("}".into());
    let body = g.verbatim.macro_body(body);
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
            pub #unknown: #rt::serde_json::Map<::std::string::String, #rt::serde_json::Value>,
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

        impl #name {
            #[doc = #new_doc]
            // The constructor takes what the schema requires.
            #[allow(clippy::too_many_arguments)]
            pub fn new(#( #params, )* #disc_field: impl ::std::convert::Into<#branch_ty>) -> Self {
                Self {
                    #( #inits, )*
                    #disc_field: #disc_field.into(),
                    #unknown: #rt::serde_json::Map::new(),
                }
            }
        }

        #( #froms )*

        #rt::impl_union! { #body }
    })
}
