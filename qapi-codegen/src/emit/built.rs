//! Struct definitions built as syn trees directly, not parsed back from
//! tokens.
//!
//! They are most of the generated code, and parsing a field's fully
//! qualified type (`::std::option::Option<::std::string::String>`) costs
//! syn far more than building the tree, which for a type that comes back
//! (most do) is a clone. The emitter puts a placeholder item in the token
//! stream (`struct __qapi_bindgen_item_N;`, cheap to parse); after
//! parsing, [`Built::replace`] puts the built item in its place, and
//! prettyplease prints it like any other.

use super::Slots;
use super::verbatim::type_text;
use crate::Error;
use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;
use std::cell::RefCell;
use std::collections::HashMap;

/// The prefix of a placeholder item's name.
const PLACEHOLDER: &str = "__qapi_bindgen_item_";

/// The built items and the parsed types of one generation context.
#[derive(Default)]
pub(crate) struct Built {
    items: Slots<syn::Item>,
    /// Types by their text, parsed once.
    types: RefCell<HashMap<String, syn::Type>>,
}

impl Built {
    /// Keeps `item` and returns the placeholder to emit in its place.
    pub(crate) fn placeholder(&self, item: syn::Item) -> TokenStream {
        let n = self.items.add(item);
        let name = Ident::new(&format!("{PLACEHOLDER}{n}"), Span::call_site());
        quote!(struct #name;)
    }

    /// The syn tree of a type given as tokens.
    pub(crate) fn ty(&self, tokens: &TokenStream) -> Result<syn::Type, Error> {
        let text = type_text(tokens);
        if let Some(t) = self.types.borrow().get(&text) {
            return Ok(t.clone());
        }
        let t: syn::Type = syn::parse2(tokens.clone())
            .map_err(|e| Error::Internal(format!("generated type `{text}` does not parse: {e}")))?;
        self.types.borrow_mut().insert(text, t.clone());
        Ok(t)
    }

    /// Replaces the placeholders in `items` (and in the modules among
    /// them) with the items they stand for.
    pub(crate) fn replace(&self, items: &mut [syn::Item]) {
        for item in items {
            match item {
                syn::Item::Struct(s) => {
                    if let Some(b) = self.items.take(PLACEHOLDER, &s.ident.to_string()) {
                        *item = b;
                    }
                }
                syn::Item::Mod(m) => {
                    if let Some((_, content)) = &mut m.content {
                        self.replace(content);
                    }
                }
                _ => {}
            }
        }
    }
}

/// Outer attributes given as tokens (`#[derive(...)] #[doc = ...]`).
pub(crate) fn attrs(tokens: TokenStream) -> Result<Vec<syn::Attribute>, Error> {
    syn::parse::Parser::parse2(syn::Attribute::parse_outer, tokens)
        .map_err(|e| Error::Internal(format!("generated attributes do not parse: {e}")))
}

/// A `pub` field.
pub(crate) fn field(attrs: Vec<syn::Attribute>, ident: Ident, ty: syn::Type) -> syn::Field {
    syn::Field {
        attrs,
        vis: syn::Visibility::Public(Default::default()),
        mutability: syn::FieldMutability::None,
        ident: Some(ident),
        colon_token: Some(Default::default()),
        ty,
    }
}

/// A `pub struct` with named fields.
pub(crate) fn named_struct(
    attrs: Vec<syn::Attribute>,
    ident: Ident,
    fields: Vec<syn::Field>,
) -> syn::Item {
    syn::Item::Struct(syn::ItemStruct {
        attrs,
        vis: syn::Visibility::Public(Default::default()),
        struct_token: Default::default(),
        ident,
        generics: Default::default(),
        fields: syn::Fields::Named(syn::FieldsNamed {
            brace_token: Default::default(),
            named: fields.into_iter().collect(),
        }),
        semi_token: None,
    })
}

/// A variant: a unit one, or one holding `payload`.
pub(crate) fn variant(
    attrs: Vec<syn::Attribute>,
    ident: Ident,
    payload: Option<syn::Type>,
) -> syn::Variant {
    let fields = match payload {
        None => syn::Fields::Unit,
        Some(ty) => syn::Fields::Unnamed(syn::FieldsUnnamed {
            paren_token: Default::default(),
            unnamed: std::iter::once(syn::Field {
                attrs: Vec::new(),
                vis: syn::Visibility::Inherited,
                mutability: syn::FieldMutability::None,
                ident: None,
                colon_token: None,
                ty,
            })
            .collect(),
        }),
    };
    syn::Variant {
        attrs,
        ident,
        fields,
        discriminant: None,
    }
}

/// A `pub enum`.
pub(crate) fn enum_item(
    attrs: Vec<syn::Attribute>,
    ident: Ident,
    variants: Vec<syn::Variant>,
) -> syn::Item {
    syn::Item::Enum(syn::ItemEnum {
        attrs,
        vis: syn::Visibility::Public(Default::default()),
        enum_token: Default::default(),
        ident,
        generics: Default::default(),
        brace_token: Default::default(),
        variants: variants.into_iter().collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_built_struct_prints_like_the_parsed_one() {
        let b = Built::default();
        let ty = quote!(::std::option::Option<::std::string::String>);
        let fields = vec![
            field(
                attrs(quote!(#[doc = " a"])).unwrap_or_default(),
                Ident::new("a", Span::call_site()),
                b.ty(&ty).unwrap_or_else(|e| panic!("{e}")),
            ),
            field(
                Vec::new(),
                super::super::ident("r#type"),
                b.ty(&ty).unwrap_or_else(|e| panic!("{e}")),
            ),
        ];
        let item = named_struct(
            attrs(quote!(#[derive(Debug)])).unwrap_or_default(),
            Ident::new("S", Span::call_site()),
            fields,
        );
        let placeholder = b.placeholder(item);
        let e = enum_item(
            Vec::new(),
            Ident::new("E", Span::call_site()),
            vec![
                variant(Vec::new(), Ident::new("A", Span::call_site()), None),
                variant(
                    attrs(quote!(#[doc = " other"])).unwrap_or_default(),
                    Ident::new("Other", Span::call_site()),
                    Some(
                        b.ty(&quote!(::std::string::String))
                            .unwrap_or_else(|e| panic!("{e}")),
                    ),
                ),
            ],
        );
        let second = b.placeholder(e);
        let tokens = quote!(mod m { #placeholder #second });
        let mut file: syn::File = syn::parse2(tokens).unwrap_or_else(|e| panic!("{e}"));
        b.replace(&mut file.items);
        let expected: syn::File = syn::parse_quote! {
            mod m {
                #[derive(Debug)]
                pub struct S {
                    #[doc = " a"]
                    pub a: ::std::option::Option<::std::string::String>,
                    pub r#type: ::std::option::Option<::std::string::String>,
                }
                pub enum E {
                    A,
                    #[doc = " other"]
                    Other(::std::string::String),
                }
            }
        };
        assert_eq!(
            prettyplease::unparse(&file),
            prettyplease::unparse(&expected)
        );
    }
}
