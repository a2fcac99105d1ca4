//! Structs: public fields (base members inlined first), `Option` for
//! optional members (left out when `None`) and for members under an `if`
//! condition, and the members a newer QEMU
//! sends that this version does not know, kept so that re-encoding gives
//! back what was received.

use super::verbatim::{literal, type_text};
use super::{Gen, Role, Scope, built, ident};
use crate::{Error, names};
use proc_macro2::{Ident, TokenStream};
use qapi_schema_parser::{EntityId, Member};
use quote::quote;

/// A member as a Rust field.
pub(crate) struct Field<'a> {
    pub member: &'a Member,
    pub ident: Ident,
    /// The field type (`Option<...>` for optional members).
    pub ty: TokenStream,
    /// Whether the member may be absent on the wire (see
    /// [`may_be_absent`]).
    pub absent_ok: bool,
    /// The QEMU release that first had it, when later than its type
    /// ([`crate::Config::member_released_in`]).
    pub since: Option<String>,
}

impl Field<'_> {
    /// Whether the member may be absent on the wire.
    pub(crate) fn optional(&self) -> bool {
        self.absent_ok
    }
}

/// Whether member `m` of `owner` may be absent on the wire: when it is
/// optional; when it is under an `if` condition, whatever its optionality
/// says, since a server built without the condition never sends it (every
/// x86 QEMU leaves out `deprecated-props`, required when `TARGET_S390X`,
/// from `query-cpu-model-expansion`); and when the configuration says an
/// older server may leave it out ([`crate::Config::optional_member`]).
pub(crate) fn may_be_absent(g: &Gen<'_>, owner: &str, m: &Member) -> bool {
    m.optional
        || m.cond.is_some()
        || g.cfg
            .optional_members
            .contains(&(owner.to_string(), m.name.clone()))
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
        let absent_ok = may_be_absent(g, owner, m);
        let ty = if absent_ok {
            quote!(::std::option::Option<#inner>)
        } else {
            inner
        };
        let since = g
            .cfg
            .member_releases
            .get(&(owner.to_string(), m.name.clone()))
            .cloned();
        out.push(Field {
            member: m,
            ident: ident(&rust),
            ty,
            absent_ok,
            since,
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
    /// Whether the object takes members beyond those listed (the
    /// arguments of a `'gen': false` command): `unknown_members` is then
    /// where they go, and `with` sets one.
    pub open: bool,
}

pub(crate) fn emit_object(g: &Gen<'_>, o: &Object<'_>) -> Result<TokenStream, Error> {
    let rt = &g.rt;
    let Object {
        name,
        doc,
        attrs,
        fields,
        open,
    } = o;
    // The impls are the same for every struct: the runtime's macro
    // writes them from the wire names (and, for the constructor, the
    // types of the required members).
    let body = g
        .verbatim
        .macro_body(object_block(&format!("{name} "), fields));
    let default = if fields.iter().all(Field::optional) {
        quote!(#[derive(Default)])
    } else {
        quote!()
    };
    let derives = g.extra_derives();
    // The definition is built as a syn tree (see `built`).
    let item_attrs = built::attrs(quote! {
        #doc
        #attrs
        #[derive(Debug, Clone, PartialEq)]
        #default
        #derives
    })?;
    let mut defs = Vec::with_capacity(fields.len() + 1);
    for f in fields {
        defs.push(built_field(g, f)?);
    }
    let unknown_doc = if *open {
        quote! {
            /// The members the schema leaves open: QEMU takes more than it
            /// lists here (for `device_add`, the device's properties, such as
            /// `drive` or `serial`). Set them with `with`; they are sent as
            /// they are.
        }
    } else {
        quote! {
            /// Members this version of the bindings does not know (sent by a
            /// newer QEMU), kept so that encoding gives back what was received.
        }
    };
    defs.push(built::field(
        built::attrs(unknown_doc)?,
        ident(UNKNOWN),
        g.built
            .ty(&quote!(#rt::serde_json::Map<::std::string::String, #rt::serde_json::Value>))?,
    ));
    let def = g
        .built
        .placeholder(built::named_struct(item_attrs, name.clone(), defs));
    let with = if *open {
        quote!(#rt::impl_open_members!(#name);)
    } else {
        quote!()
    };
    Ok(quote! {
        #def
        #rt::impl_object! { #body }
        #with
    })
}

/// A field's definition as a syn tree, with its docs.
fn built_field(g: &Gen<'_>, f: &Field<'_>) -> Result<syn::Field, Error> {
    let m = f.member;
    let mut attrs = Role::member(m).since(f.since.as_deref()).attrs(g)?;
    attrs.extend(super::built::attrs(super::alias(
        &m.name,
        &f.ident.to_string(),
    ))?);
    let ty = g.built.ty(&f.ty)?;
    Ok(built::field(attrs, f.ident.clone(), ty))
}

/// The members in `impl_object!` (and a union's common members in
/// `impl_union!`): `prefix` and a block of one line each, `req field =
/// "wire": Type,` or `opt field = "wire",`.
pub(crate) fn object_block(prefix: &str, fields: &[Field<'_>]) -> Vec<String> {
    if fields.is_empty() {
        return vec![format!("{prefix}{{}}")];
    }
    let mut lines = Vec::with_capacity(fields.len() + 2);
    lines.push(format!("{prefix}{{"));
    lines.extend(fields.iter().map(|f| {
        let (id, wire) = (&f.ident, literal(&f.member.name));
        if f.optional() {
            format!("    opt {id} = {wire},")
        } else {
            format!("    req {id} = {wire}: {},", param_type(&type_text(&f.ty)))
        }
    }));
    lines.push("}".into());
    lines
}

/// The constructor's parameter for a required field of type `ty`: what
/// converts into it when that saves the caller a `Box::new` or a
/// `.to_string()`.
pub(crate) fn param_type(ty: &str) -> String {
    if ty.starts_with("::std::boxed::Box<") || ty == "::std::string::String" {
        format!("impl ::std::convert::Into<{ty}>")
    } else {
        ty.to_string()
    }
}

/// A field's definition, with its docs.
pub(crate) fn field_def(g: &Gen<'_>, f: &Field<'_>) -> TokenStream {
    let m = f.member;
    let (id, ty) = (&f.ident, &f.ty);
    let d = Role::member(m).since(f.since.as_deref()).doc(g);
    let dep = g.deprecated(&m.features);
    let alias = super::alias(&m.name, &id.to_string());
    quote!(#d #alias #dep pub #id: #ty,)
}

/// An explicit struct of the schema.
pub(crate) fn emit(g: &Gen<'_>, id: EntityId) -> Result<TokenStream, Error> {
    let e = g.schema.entity(id);
    let members = g.schema.all_members(id);
    let o = Object {
        name: ident(g.type_name(id)),
        doc: g.type_doc(id, &format!("The `{}` object.", e.name)),
        attrs: quote!(),
        fields: fields(g, &e.name, id, &members, Scope::Module)?,
        open: false,
    };
    let def = emit_object(g, &o)?;
    // A wrapper `{ 'data': T }` (what simple unions' branches became)
    // converts from what it wraps.
    let from = match wrapped(g, id) {
        Some(inner) => {
            let (name, ty) = (&o.name, g.rust_type(inner, Scope::Module));
            quote! {
                impl ::std::convert::From<#ty> for #name {
                    fn from(data: #ty) -> Self {
                        #name::new(data)
                    }
                }
            }
        }
        None => quote!(),
    };
    Ok(quote!(#def #from))
}

/// The type a struct wraps when its one member is a required `data` of a
/// type it does not contain itself (so not boxed).
pub(crate) fn wrapped<'a>(g: &Gen<'a>, id: EntityId) -> Option<&'a qapi_schema_parser::TypeRef> {
    if !matches!(
        g.schema.entity(id).kind,
        qapi_schema_parser::EntityKind::Struct(_)
    ) {
        return None;
    }
    match g.schema.all_members(id).as_slice() {
        [m] if m.name == "data" && !m.optional && m.cond.is_none() && !g.needs_box(id, m.ty.id) => {
            // A member the history makes optional is not required either.
            let e = g.schema.entity(id);
            (!super::structs::may_be_absent(g, &e.name, m)).then_some(&m.ty)
        }
        _ => None,
    }
}
