//! Structs: public fields (base members inlined first), `Option` for
//! optional members (left out when `None`), and the members a newer QEMU
//! sends that this version does not know, kept so that re-encoding gives
//! back what was received.

use super::{Gen, Scope, ident, member_doc};
use crate::{Error, names};
use proc_macro2::{Ident, TokenStream};
use qapi_parser::{EntityId, Member};
use quote::{format_ident, quote};

/// A member as a Rust field.
pub(crate) struct Field<'a> {
    pub member: &'a Member,
    pub ident: Ident,
    /// The field type (`Option<...>` for optional members).
    pub ty: TokenStream,
    /// The local variable used while decoding.
    pub var: Ident,
}

/// The name of the field holding unknown members.
pub(crate) const UNKNOWN: &str = "unknown_members";

/// The fields for `members` of `container`, checked for clashes after
/// conversion to snake_case.
pub(crate) fn fields<'a>(
    g: &Gen<'_>,
    owner: &str,
    container: EntityId,
    members: &[&'a Member],
    scope: Scope,
) -> Result<Vec<Field<'a>>, Error> {
    let mut out: Vec<Field<'a>> = Vec::with_capacity(members.len());
    for m in members {
        let rust = names::field(&m.name);
        if rust == UNKNOWN {
            return Err(Error::Clash(format!(
                "member '{}' of '{owner}' would be named `{UNKNOWN}`, which holds unknown members",
                m.name
            )));
        }
        let mut rust = rust;
        if let Some(prev) = out.iter().find(|f| f.ident == ident(&rust)) {
            if !g.cfg.legacy {
                return Err(Error::Clash(format!(
                    "members '{}' and '{}' of '{owner}' would both be the field `{rust}`",
                    prev.member.name, m.name
                )));
            }
            // Old schemas have members differing only in case ('pc' and
            // 'PC'): the later one gets a number; its wire name is kept.
            let base = rust.trim_start_matches("r#").to_string();
            let mut n = 2;
            while out.iter().any(|f| f.ident == ident(&format!("{base}_{n}"))) {
                n += 1;
            }
            rust = format!("{base}_{n}");
        }
        let inner = g.member_type(container, &m.ty, scope);
        let ty = if m.optional {
            quote!(::std::option::Option<#inner>)
        } else {
            inner
        };
        out.push(Field {
            member: m,
            ident: ident(&rust),
            ty,
            var: format_ident!("m_{}", rust.trim_start_matches("r#")),
        });
    }
    Ok(out)
}

/// Everything for one object type: definition, constructor, encoding and
/// decoding.
pub(crate) struct Object<'a> {
    pub name: Ident,
    pub doc: TokenStream,
    pub attrs: TokenStream,
    pub fields: Vec<Field<'a>>,
}

/// The per-field pieces every object-like type needs: definitions,
/// encoding, and the locals, match arms and assembly of decoding.
pub(crate) struct FieldTokens {
    pub defs: Vec<TokenStream>,
    pub ser: Vec<TokenStream>,
    pub decl_vars: Vec<TokenStream>,
    pub arms: Vec<TokenStream>,
    pub builds: Vec<TokenStream>,
    /// Takes the required members out of their `Option`s, or returns the
    /// error for the first one missing (one match, one error path).
    pub take_required: TokenStream,
}

pub(crate) fn field_tokens(g: &Gen<'_>, fields: &[Field<'_>]) -> FieldTokens {
    let rt = &g.rt;
    let mut t = FieldTokens {
        defs: Vec::new(),
        ser: Vec::new(),
        decl_vars: Vec::new(),
        arms: Vec::new(),
        builds: Vec::new(),
        take_required: TokenStream::new(),
    };
    let mut req_vars = Vec::new();
    let mut req_wires = Vec::new();
    for f in fields {
        let m = f.member;
        let (id, ty, var, wire) = (&f.ident, &f.ty, &f.var, &m.name);
        let d = member_doc(g, &m.name, m.doc.as_deref(), m.cond.as_ref(), &m.features);
        let dep = g.deprecated(&m.features);
        t.defs.push(quote!(#d #dep pub #id: #ty,));
        t.arms
            .push(quote!(#wire => #rt::de::next(&mut map, &mut #var),));
        if m.optional {
            t.ser.push(quote!(members.opt(#wire, &self.#id);));
            t.decl_vars
                .push(quote!(let mut #var: #ty = ::std::option::Option::None;));
            t.builds.push(quote!(#id: #var,));
        } else {
            t.ser.push(quote!(members.req(#wire, &self.#id);));
            t.decl_vars.push(
                quote!(let mut #var: ::std::option::Option<#ty> = ::std::option::Option::None;),
            );
            t.builds.push(quote!(#id: #var,));
            req_vars.push(var);
            req_wires.push(wire);
        }
    }
    if !req_vars.is_empty() {
        t.take_required = quote! {
            let (#( #req_vars, )*) = match (#( #req_vars, )*) {
                (#( ::std::option::Option::Some(#req_vars), )*) => (#( #req_vars, )*),
                (#( #req_vars, )*) => {
                    return ::std::result::Result::Err(#rt::de::missing(&[#( (#req_vars.is_some(), #req_wires) ),*]));
                }
            };
        };
    }
    t
}

pub(crate) fn emit_object(g: &Gen<'_>, o: &Object<'_>) -> TokenStream {
    let rt = &g.rt;
    let Object {
        name,
        doc,
        attrs,
        fields,
    } = o;
    let FieldTokens {
        defs,
        ser,
        decl_vars,
        arms,
        builds,
        take_required,
    } = field_tokens(g, fields);
    let required: Vec<&Field<'_>> = fields.iter().filter(|f| !f.member.optional).collect();
    let params = required.iter().map(|f| {
        let (id, ty) = (&f.ident, &f.ty);
        quote!(#id: #ty)
    });
    let inits = fields.iter().map(|f| {
        let id = &f.ident;
        if f.member.optional {
            quote!(#id: ::std::option::Option::None,)
        } else {
            quote!(#id,)
        }
    });
    let many = if required.len() > 7 {
        // The constructor takes what the schema requires.
        quote!(#[allow(clippy::too_many_arguments)])
    } else {
        quote!()
    };
    let default = if required.is_empty() {
        quote!(#[derive(Default)])
    } else {
        quote!()
    };
    let unknown = ident(UNKNOWN);
    // One loop over the members, inline: a closure per struct would give
    // the borrow checker twice the bodies to check.
    let keep = quote!(#rt::de::unknown(&mut map, &mut #unknown, key));
    let body = if fields.is_empty() {
        quote!(#keep?;)
    } else {
        quote! {
            match key.as_str() {
                #( #arms )*
                _ => #keep,
            }?;
        }
    };
    let visit = quote! {
        while let ::std::option::Option::Some(key) = ::serde::de::MapAccess::next_key::<#rt::de::Key<'de>>(&mut map)? {
            #body
        }
    };
    let expecting = format!("an object {name}");
    let derives = g.extra_derives();
    quote! {
        #doc
        #attrs
        #[derive(Debug, Clone, PartialEq)]
        #default
        #derives
        pub struct #name {
            #( #defs )*
            /// Members this version of the bindings does not know (sent by a
            /// newer QEMU), kept so that encoding gives back what was received.
            pub #unknown: ::serde_json::Map<::std::string::String, ::serde_json::Value>,
        }

        impl #name {
            /// Creates the value from its required members; optional members
            /// are absent.
            #many
            pub fn new(#( #params ),*) -> Self {
                #name { #( #inits )* #unknown: ::serde_json::Map::new() }
            }
        }

        impl #rt::de::SerializeMembers for #name {
            fn serialize_members<M: ::serde::ser::SerializeMap>(&self, map: &mut M) -> ::std::result::Result<(), M::Error> {
                let mut members = #rt::de::Entries::new(map);
                #( #ser )*
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
                        let mut #unknown = ::serde_json::Map::new();
                        #visit
                        #take_required
                        ::std::result::Result::Ok(#name { #( #builds )* #unknown })
                    }
        }

        impl<'de> ::serde::Deserialize<'de> for #name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
                #rt::de::deserialize_object(deserializer)
            }
        }
    }
}

/// An explicit struct of the schema.
pub(crate) fn emit(g: &Gen<'_>, id: EntityId) -> Result<TokenStream, Error> {
    let e = g.schema.entity(id);
    let members = g.schema.all_members(id);
    let o = Object {
        name: ident(g.type_name(id)),
        doc: g.item_doc(e, &format!("The `{}` object.", e.name)),
        attrs: quote!(),
        fields: fields(g, &e.name, id, &members, Scope::Module)?,
    };
    Ok(emit_object(g, &o))
}
