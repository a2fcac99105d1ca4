//! Enums: open. Every known value is a variant, and a catch-all keeps a
//! value a newer QEMU sends, so decoding never fails on a new value and
//! encoding gives back the same string.

use super::verbatim::literal;
use super::{Gen, Role, built, ident};
use crate::names;
use proc_macro2::TokenStream;
use qapi_schema_parser::{EntityId, EnumType};
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
    let doc = g.type_doc(id, &format!("The values of `{}`.", entity.name));
    let variants = variant_names(&entity.name, e)?;
    let other = ident(&catch_all(&variants));
    let idents: Vec<_> = variants.iter().map(|v| ident(v)).collect();
    let wires: Vec<&str> = e.values.iter().map(|v| v.name.as_str()).collect();
    let derives = g.extra_derives();
    let rt_doc = " A value this version of the bindings does not know (from a newer QEMU); it never holds one of the values above.";
    let rt = &g.rt;
    let mut body = vec![format!("{name}, {other} {{")];
    for (id, wire) in idents.iter().zip(&wires) {
        body.push(format!("    {id} = {},", literal(wire)));
    }
    body.push("}".into());
    let body = g.verbatim.macro_body(body);
    // The definition is built as a syn tree (see `built`).
    let mut variants_syn = Vec::with_capacity(idents.len() + 1);
    for (v, id) in e.values.iter().zip(&idents) {
        let mut attrs = Role {
            role: "value",
            name: &v.name,
            doc: v.doc.as_deref(),
            cond: v.cond.as_ref(),
            features: &v.features,
            since: g
                .cfg
                .member_releases
                .get(&(entity.name.clone(), v.name.clone()))
                .map(String::as_str),
        }
        .attrs(g)?;
        attrs.extend(built::attrs(super::alias(&v.name, &id.to_string()))?);
        variants_syn.push(built::variant(attrs, id.clone(), None));
    }
    variants_syn.push(built::variant(
        built::attrs(quote!(#[doc = #rt_doc]))?,
        other.clone(),
        Some(g.built.ty(&quote!(::std::string::String))?),
    ));
    let attrs = built::attrs(quote! {
        #doc
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #derives
    })?;
    let def = g
        .built
        .placeholder(built::enum_item(attrs, name.clone(), variants_syn));
    // The methods and impls are the same for every enum: the runtime's
    // macro writes them from the wire values.
    Ok(quote! {
        #def
        #rt::impl_enum! { #body }
    })
}
