//! Commands: one type per command, whose value is the arguments. A
//! command without arguments is a unit struct; one with inline arguments
//! is a struct of them; one whose arguments are a named type (always so
//! with `boxed`) wraps that type. Each implements `Command`, which gives
//! the wire name, the return type and the flags a client needs.

use super::structs::{Object, emit_object, fields};
use super::verbatim::type_text;
use super::{Gen, Scope, ident};
use crate::{Error, names};
use proc_macro2::TokenStream;
use qapi_schema_parser::{Command, EntityId, Origin};
use quote::quote;

pub(crate) fn emit(g: &Gen<'_>, id: EntityId, c: &Command) -> Result<TokenStream, Error> {
    let rt = &g.rt;
    let e = g.schema.entity(id);
    let rust_name = names::camel(&e.name);
    let name = ident(&rust_name);
    let lead = lead(g, &e.name, c);
    let doc = g.item_doc_led(e, &format!("The `{}` command.", e.name), Some(&lead));
    let alias = super::alias(&e.name, &rust_name);
    let doc = quote!(#doc #alias);
    let dep = g.deprecated_item(e);
    let args = c.arguments.as_ref().map(|a| a.id);
    // `'gen': false`: QEMU's own marshaller takes members the schema does
    // not list (`device_add`'s device properties).
    let open = !c.generate;
    let (def, has_args) = arguments(g, &name, doc, dep, args, open)?;
    let wire = &e.name;
    let returns = match &c.returns {
        Some(r) => g.rust_type(r, Scope::Inner),
        None => quote!(#rt::Empty),
    };
    let (oob, success) = (c.allow_oob, c.success_response);
    let releases = super::releases(g, &e.name);
    Ok(quote! {
        #def
        impl #rt::Command for #name {
            const NAME: &'static str = #wire;
            type Returns = #returns;
            const ALLOW_OOB: bool = #oob;
            const SUCCESS_RESPONSE: bool = #success;
            const HAS_ARGUMENTS: bool = #has_args;
            #releases
        }
    })
}

/// The first line of a command's page: its wire name, its arguments and
/// what it returns, as links.
fn lead(g: &Gen<'_>, wire: &str, c: &Command) -> String {
    let args = match &c.arguments {
        None => "no arguments".to_string(),
        Some(a) if matches!(g.schema.entity(a.id).origin, Origin::CommandArguments(_)) => {
            "the arguments below".to_string()
        }
        Some(a) => format!("the arguments of {}", g.type_link(a, Scope::Inner)),
    };
    let returns = match &c.returns {
        Some(r) => g.type_link(r, Scope::Inner),
        None => "nothing".to_string(),
    };
    format!("`{wire}`: {args}; returns {returns}.")
}

/// The type of a command's arguments or an event's data: a unit struct,
/// a struct of inline members, or a wrapper of a named type. Returns the
/// tokens and whether there are arguments at all.
pub(crate) fn arguments(
    g: &Gen<'_>,
    name: &proc_macro2::Ident,
    doc: TokenStream,
    dep: TokenStream,
    args: Option<EntityId>,
    open: bool,
) -> Result<(TokenStream, bool), Error> {
    let rt = &g.rt;
    let Some(args) = args else {
        return Ok((
            quote! {
                #doc
                #dep
                #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
                pub struct #name;

                #rt::impl_unit!(#name);
            },
            false,
        ));
    };
    let a = g.schema.entity(args);
    if matches!(a.origin, Origin::CommandArguments(_) | Origin::EventData(_)) {
        let members = g.schema.all_members(args);
        let o = Object {
            name: name.clone(),
            doc,
            attrs: dep,
            fields: fields(g, &a.name, args, &members, Scope::Inner)?,
            open,
        };
        return Ok((emit_object(g, &o)?, true));
    }
    let inner = g.rust_type(
        &qapi_schema_parser::TypeRef {
            id: args,
            name: a.name.clone(),
        },
        Scope::Inner,
    );
    let body = g
        .verbatim
        .macro_body(vec![format!("{name}({})", type_text(&inner))]);
    Ok((
        quote! {
            #doc
            #dep
            #[derive(Debug, Clone, PartialEq)]
            pub struct #name(pub #inner);

            #rt::impl_wrapper! { #body }
        },
        true,
    ))
}
