//! Events: a data type per event (a unit struct when it has none), which
//! implements `Event` with the wire name, so callers can filter by type.
//! The enum of all events is in [`super::modules`].

use super::commands::arguments;
use super::{Gen, ident};
use crate::{Error, names};
use proc_macro2::TokenStream;
use qapi_schema_parser::{EntityId, Event};
use quote::quote;

pub(crate) fn emit(g: &Gen<'_>, id: EntityId, ev: &Event) -> Result<TokenStream, Error> {
    let rt = &g.rt;
    let e = g.schema.entity(id);
    let rust_name = names::camel(&e.name);
    let name = ident(&rust_name);
    let doc = g.item_doc(e, &format!("The `{}` event.", e.name));
    let alias = super::alias(&e.name, &rust_name);
    let doc = quote!(#doc #alias);
    let dep = g.deprecated_item(e);
    let (def, _) = arguments(g, &name, doc, dep, ev.data.as_ref().map(|d| d.id), false)?;
    let wire = &e.name;
    let releases = super::releases(g, &e.name);
    Ok(quote! {
        #def
        impl #rt::Event for #name {
            const NAME: &'static str = #wire;
            #releases
        }
    })
}
