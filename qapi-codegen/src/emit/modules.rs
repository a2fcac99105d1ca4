//! Laying the items out: one Rust module per QAPI module (a file each,
//! or all inline in one file for `include!` from `build.rs`), each with
//! its types, a `cmd` module of its commands and an `event` module of
//! its events; a root that re-exports them, the enum of all events and
//! the tables by wire name.

use super::{Gen, ident};
use crate::{Error, Layout, docs, names};
use proc_macro2::TokenStream;
use qapi_schema_parser::{EntityId, EntityKind, ModuleId};
use quote::quote;

/// A generated file: its path relative to the output directory, and its
/// text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedFile {
    /// Relative path (`mod.rs`, `block_core.rs`).
    pub path: String,
    /// Formatted Rust source, with the `@generated` header.
    pub text: String,
}

/// A module's items, planned: which entities, and the Rust names the root
/// re-exports. Plain data, so that modules can be rendered on several
/// threads (tokens cannot cross threads).
struct ModulePlan {
    /// Position in include order.
    order: u32,
    ident: String,
    module: ModuleId,
    /// The entities it emits, in schema order, with what each is.
    items: Vec<(EntityId, Item)>,
    type_names: Vec<String>,
    command_names: Vec<String>,
    event_names: Vec<String>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Item {
    Type,
    Command,
    Event,
}

/// What an entity emits, if anything.
fn item_of(g: &Gen<'_>, id: EntityId) -> Option<Item> {
    match (&g.schema.entity(id).kind, g.is_generated_type(id)) {
        (
            EntityKind::Enum(_)
            | EntityKind::Struct(_)
            | EntityKind::Union(_)
            | EntityKind::Alternate(_),
            true,
        ) => Some(Item::Type),
        (EntityKind::Command(_), _) => Some(Item::Command),
        (EntityKind::Event(_), _) => Some(Item::Event),
        _ => None,
    }
}

/// The tokens of one entity.
fn emit_item(g: &Gen<'_>, id: EntityId) -> Result<TokenStream, Error> {
    match &g.schema.entity(id).kind {
        EntityKind::Enum(en) => super::enums::emit(g, id, en),
        EntityKind::Struct(_) => super::structs::emit(g, id),
        EntityKind::Union(u) => super::unions::emit(g, id, u),
        EntityKind::Alternate(a) => super::alternates::emit(g, id, a),
        EntityKind::Command(c) => super::commands::emit(g, id, c),
        EntityKind::Event(ev) => super::events::emit(g, id, ev),
        EntityKind::Builtin { .. } | EntityKind::Array(_) => Ok(TokenStream::new()),
    }
}

/// The tokens of a module's body.
fn module_tokens(g: &Gen<'_>, m: &ModulePlan) -> Result<TokenStream, Error> {
    let (mut types, mut commands, mut events) = (Vec::new(), Vec::new(), Vec::new());
    for &(id, item) in &m.items {
        let tokens = emit_item(g, id)?;
        match item {
            Item::Type => types.push(tokens),
            Item::Command => commands.push(tokens),
            Item::Event => events.push(tokens),
        }
    }
    Ok(module_body(&types, &commands, &events))
}

/// Renders the root file's `root` tokens and the files of `plans`
/// (file-per-module layout), on as many threads as there are cores: each
/// thread has its own [`Gen`] (tokens cannot cross threads) and takes the
/// next module, largest first, whenever it is done with one; this thread
/// formats the root first.
fn render_modules(
    g: &Gen<'_>,
    plans: &[ModulePlan],
    root: TokenStream,
) -> Result<(String, Vec<String>), Error> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(plans.len())
        .max(1);
    // Largest first (items and their members, roughly what a module
    // costs), so that the last ones taken are small and the threads end
    // together.
    let mut order: Vec<usize> = (0..plans.len()).collect();
    order.sort_by_key(|&i| {
        std::cmp::Reverse(
            plans[i]
                .items
                .iter()
                .map(|&(id, _)| 1 + g.schema.all_members(id).len())
                .sum::<usize>(),
        )
    });
    let next = std::sync::atomic::AtomicUsize::new(0);
    let render = |g: &Gen<'_>| -> Result<Vec<(usize, String)>, Error> {
        let mut done = Vec::new();
        while let Some(&i) = order.get(next.fetch_add(1, std::sync::atomic::Ordering::Relaxed)) {
            done.push((i, format(g, module_tokens(g, &plans[i])?)?));
        }
        Ok(done)
    };
    let (schema, cfg) = (g.schema, g.cfg);
    let (root, results) = std::thread::scope(|scope| {
        let workers: Vec<_> = (1..threads)
            .map(|_| scope.spawn(|| render(&Gen::new(schema, cfg)?)))
            .collect();
        let root = format(g, root);
        let mut results = vec![render(g)];
        for w in workers {
            results.push(
                w.join()
                    .unwrap_or_else(|_| Err(Error::Internal("a render thread panicked".into()))),
            );
        }
        (root, results)
    });
    let mut texts: Vec<Option<String>> = vec![None; plans.len()];
    for r in results {
        for (i, text) in r? {
            texts[i] = Some(text);
        }
    }
    Ok((
        root?,
        texts.into_iter().map(Option::unwrap_or_default).collect(),
    ))
}

pub(crate) fn generate(g: &Gen<'_>) -> Result<Vec<GeneratedFile>, Error> {
    let schema = g.schema;
    let mut modules: Vec<ModulePlan> = Vec::new();
    let mut index: Vec<Option<usize>> = vec![None; schema.modules.len()];
    let mut root_types: Vec<TokenStream> = Vec::new();
    let mut taken_idents: Vec<String> = Vec::new();
    for (id, e) in schema.iter() {
        let Some(item) = item_of(g, id) else { continue };
        let Some(ModuleId(m)) = e.module else {
            // Predefined types (QType) live in the root.
            root_types.push(emit_item(g, id)?);
            continue;
        };
        let slot = match index[m as usize] {
            Some(i) => i,
            None => {
                let mut ident_name = names::module(&schema.modules[m as usize].name);
                while taken_idents.contains(&ident_name)
                    || ["cmd", "event"].contains(&ident_name.as_str())
                {
                    ident_name.push('_');
                }
                taken_idents.push(ident_name.clone());
                modules.push(ModulePlan {
                    order: m,
                    ident: ident_name,
                    module: ModuleId(m),
                    items: Vec::new(),
                    type_names: Vec::new(),
                    command_names: Vec::new(),
                    event_names: Vec::new(),
                });
                index[m as usize] = Some(modules.len() - 1);
                modules.len() - 1
            }
        };
        let module = &mut modules[slot];
        module.items.push((id, item));
        match item {
            Item::Type => {
                module.type_names.push(g.type_name(id).to_string());
                if let EntityKind::Union(_) = e.kind {
                    module.type_names.push(format!("{}Branch", g.type_name(id)));
                }
            }
            Item::Command => module.command_names.push(names::camel(&e.name)),
            Item::Event => module.event_names.push(names::camel(&e.name)),
        }
    }

    // Modules in include order (the root schema first).
    modules.sort_by_key(|m| m.order);
    let mut decls = Vec::new();
    let mut reexports = Vec::new();
    let mut cmd_reexports = Vec::new();
    let mut event_reexports = Vec::new();
    let mut cmd_index = Vec::new();
    let mut event_index = Vec::new();
    let mut module_files = Vec::new();
    for m in &modules {
        let mident = ident(&m.ident);
        let doc = g.verbatim.doc(&module_doc(g, m.module));
        // Generated code refers to deprecated items (to encode them, to
        // list them); users of those items still get the warning.
        match g.cfg.layout {
            Layout::FilePerModule => {
                decls.push(quote!(#doc #[allow(deprecated)] pub mod #mident;));
                module_files.push(format!("{}.rs", m.ident.trim_start_matches("r#")));
            }
            Layout::SingleFile => {
                let body = module_tokens(g, m)?;
                decls.push(quote!(#doc #[allow(deprecated)] pub mod #mident { #body }))
            }
        }
        let types = m.type_names.iter().map(|n| ident(n));
        if !m.type_names.is_empty() {
            reexports.push(quote!(pub use self::#mident::{#(#types),*};));
        }
        let cmds = m.command_names.iter().map(|n| ident(n));
        if !m.command_names.is_empty() {
            cmd_reexports.push(quote!(pub use super::#mident::cmd::{#(#cmds),*};));
        }
        let evs = m.event_names.iter().map(|n| ident(n));
        if !m.event_names.is_empty() {
            event_reexports.push(quote!(pub use super::#mident::event::{#(#evs),*};));
        }
        for (id, item) in &m.items {
            match item {
                Item::Command => cmd_index.push(index_line(g, *id, "cmd")),
                Item::Event => event_index.push(index_line(g, *id, "event")),
                Item::Type => {}
            }
        }
    }
    let events = events_enum(g);
    let tables = tables(g);
    // The items are documented in their modules; the root and its `cmd`
    // and `event` list them (no second page per item), and the two
    // indexes give each command's and event's summary.
    let cmd_doc = g.verbatim.doc(&format!(
        "Every command of the schema: one type per command, whose value is its arguments.\n\n{}",
        cmd_index.join("\n")
    ));
    let event_doc = g.verbatim.doc(&format!(
        "Every event of the schema: one type per event, holding its data.\n\n{}",
        event_index.join("\n")
    ));
    let root = quote! {
        #( #decls )*
        #( #[allow(deprecated)] #[doc(no_inline)] #reexports )*
        #( #root_types )*

        #cmd_doc
        #[allow(deprecated)]
        pub mod cmd {
            #( #[doc(no_inline)] #cmd_reexports )*
        }

        #event_doc
        #[allow(deprecated)]
        pub mod event {
            #( #[doc(no_inline)] #event_reexports )*
        }

        #events
        #tables
    };
    let (root_file, root_text, texts) = match g.cfg.layout {
        Layout::FilePerModule => {
            let (root_text, texts) = render_modules(g, &modules, root)?;
            ("mod.rs", root_text, texts)
        }
        Layout::SingleFile => ("qapi.rs", format(g, root)?, Vec::new()),
    };
    let mut files = vec![GeneratedFile {
        path: root_file.to_string(),
        text: root_text,
    }];
    files.extend(
        module_files
            .into_iter()
            .zip(texts)
            .map(|(path, text)| GeneratedFile { path, text }),
    );
    Ok(files)
}

/// An rST section title (QEMU 10.1 on), `***\nTitle\n***` or
/// `Title\n===`, as a Markdown heading: `*` over and under is level 1,
/// `=` level 2, `-` level 3. `None` for other text.
fn rst_heading(text: &str) -> Option<String> {
    let lines: Vec<&str> = text.lines().map(str::trim_end).collect();
    let adornment = |l: &str| {
        let c = l.chars().next()?;
        ("*=-~^".contains(c) && l.len() >= 3 && l.chars().all(|x| x == c)).then_some(c)
    };
    let (title, c, rest) = match lines.as_slice() {
        [over, title, under, rest @ ..]
            if adornment(over).is_some() && adornment(over) == adornment(under) =>
        {
            (title, adornment(over)?, rest)
        }
        [title, under, rest @ ..] if adornment(under).is_some() && adornment(title).is_none() => {
            (title, adornment(under)?, rest)
        }
        _ => return None,
    };
    let level = match c {
        '*' => 1,
        '=' => 2,
        '-' => 3,
        _ => 4,
    };
    let mut out = format!("{} {}", "#".repeat(level), docs::inline(title.trim()));
    let rest = rest.join("\n");
    if !rest.trim().is_empty() {
        out.push_str("\n\n");
        out.push_str(&docs::markdown(rest.trim()));
    }
    Some(out)
}

/// A line of the command or event index: the type, its wire name and
/// its summary (the first sentence of its documentation).
fn index_line(g: &Gen<'_>, id: qapi_schema_parser::EntityId, module: &str) -> String {
    let e = g.schema.entity(id);
    let rust = names::camel(&e.name);
    let summary = e
        .doc
        .as_ref()
        .and_then(|d| {
            d.sections
                .iter()
                .find(|s| s.kind == qapi_schema_parser::doc::SectionKind::Plain)
        })
        .map(|s| {
            let first = s.text.trim().split("\n\n").next().unwrap_or_default();
            docs::markdown(first).replace('\n', " ")
        })
        .unwrap_or_default();
    let removed = match g.cfg.removed.get(&e.name) {
        Some((_, r)) => format!(", removed in QEMU {r}"),
        None => String::new(),
    };
    if summary.is_empty() {
        format!("- [`{rust}`]({module}::{rust}) (`{}`{removed})", e.name)
    } else {
        format!(
            "- [`{rust}`]({module}::{rust}) (`{}`{removed}): {summary}",
            e.name
        )
    }
}

fn module_body(types: &[TokenStream], cmds: &[TokenStream], events: &[TokenStream]) -> TokenStream {
    let cmd = if cmds.is_empty() {
        quote!()
    } else {
        quote! {
            /// The commands of this module.
            pub mod cmd {
                #( #cmds )*
            }
        }
    };
    let event = if events.is_empty() {
        quote!()
    } else {
        quote! {
            /// The events of this module.
            pub mod event {
                #( #events )*
            }
        }
    };
    quote! {
        #( #types )*
        #cmd
        #event
    }
}

/// The module's documentation: its free-form comments (headings and
/// prose), or its name.
fn module_doc(g: &Gen<'_>, m: ModuleId) -> String {
    let mut text = String::new();
    for f in g.schema.free_docs.iter().filter(|f| f.module == m) {
        for s in &f.doc.sections {
            let t = s.text.trim();
            // "= Heading" and "== Heading" become Markdown headings.
            let t = if let Some(heading) = rst_heading(t) {
                heading
            } else if let Some(rest) = t.strip_prefix('=') {
                let level = 1 + rest.chars().take_while(|c| *c == '=').count();
                let rest = rest.trim_start_matches('=').trim_start();
                let (first, more) = rest.split_once('\n').unwrap_or((rest, ""));
                format!(
                    "{} {}\n\n{}",
                    "#".repeat(level),
                    docs::inline(first),
                    docs::markdown(more)
                )
            } else {
                docs::markdown(t)
            };
            super::push_para(&mut text, &t);
        }
    }
    let name = &g.schema.modules[m.0 as usize].name;
    super::push_para(
        &mut text,
        &format!(
            "Generated from the QAPI module `{name}`. Every type here implements \
             serde's `Serialize` and `Deserialize` in QEMU's wire form (the \
             impls are not listed on each page)."
        ),
    );
    text
}

/// The enum of every event, and its `EventSet` implementation.
fn events_enum(g: &Gen<'_>) -> TokenStream {
    let rt = &g.rt;
    let evs: Vec<(EntityId, &qapi_schema_parser::Entity)> = g
        .schema
        .definitions()
        .filter(|(_, e)| matches!(e.kind, EntityKind::Event(_)))
        .collect();
    let names: Vec<String> = evs.iter().map(|(_, e)| names::camel(&e.name)).collect();
    let unknown = ident(
        ["Unknown", "UnknownEvent", "UnknownQapiEvent"]
            .into_iter()
            .find(|c| !names.iter().any(|n| n == c))
            .unwrap_or("UnknownQapiEvent"),
    );
    let variants = names.iter().map(|n| ident(n));
    let vdocs = evs.iter().map(|(_, e)| {
        g.verbatim.doc(&format!(
            "`{}`: see [`event::{}`].",
            e.name,
            names::camel(&e.name)
        ))
    });
    let wires: Vec<&str> = evs.iter().map(|(_, e)| e.name.as_str()).collect();
    let v1: Vec<_> = names.iter().map(|n| ident(n)).collect();
    let has_data: Vec<bool> = evs
        .iter()
        .map(|(_, e)| matches!(&e.kind, EntityKind::Event(ev) if ev.data.is_some()))
        .collect();
    let data_arms = v1.iter().zip(&has_data).map(|(v, d)| {
        if *d {
            quote!(Events::#v(data) => map.serialize_entry("data", data),)
        } else {
            quote!(Events::#v(_) => ::std::result::Result::Ok(()),)
        }
    });
    let unknown_arm = quote! {
        Events::#unknown {
            name: name.to_owned(),
            data: #rt::de::unknown_event_data(data)?,
        }
    };
    let decode_body = if wires.is_empty() {
        quote!(::std::result::Result::Ok(#unknown_arm))
    } else {
        quote! {
            ::std::result::Result::Ok(match name {
                #( #wires => Events::#v1(#rt::de::event_data(data)?), )*
                _ => #unknown_arm,
            })
        }
    };
    quote! {
        /// Every event of the schema, with a variant that keeps events this
        /// version of the bindings does not know. Decode a message with
        #[doc = concat!(" [`", stringify!(#rt), "::EventMessage<Events>`], which adds the timestamp.")]
        #[derive(Debug, Clone, PartialEq)]
        #[allow(deprecated)]
        // A variant per event, holding its data as it is: boxing the large
        // ones would make matching on them clumsier for every caller.
        #[allow(clippy::large_enum_variant)]
        pub enum Events {
            #( #vdocs #variants(event::#variants), )*
            /// An event this version of the bindings does not know.
            #unknown {
                /// Its name.
                name: ::std::string::String,
                /// Its data, if any.
                data: ::std::option::Option<#rt::serde_json::Value>,
            },
        }

        #rt::impl_event_variants! { Events { #( #v1 => event::#v1, )* } }

        #[allow(deprecated)]
        impl #rt::EventSet for Events {
            fn decode<'de, D: #rt::serde::Deserializer<'de>>(
                name: &str,
                data: ::std::option::Option<D>,
            ) -> ::std::result::Result<Self, D::Error> {
                #decode_body
            }

            fn name(&self) -> &str {
                match self {
                    #( Events::#v1(_) => #wires, )*
                    Events::#unknown { name, .. } => name.as_str(),
                }
            }

            fn serialize_data<M: #rt::serde::ser::SerializeMap>(&self, map: &mut M) -> ::std::result::Result<(), M::Error> {
                match self {
                    #( #data_arms )*
                    Events::#unknown { data: ::std::option::Option::Some(data), .. } => map.serialize_entry("data", data),
                    Events::#unknown { data: ::std::option::Option::None, .. } => ::std::result::Result::Ok(()),
                }
            }
        }
    }
}

/// `COMMANDS` and `EVENTS`: decoding by wire name, for tools and tests.
fn tables(g: &Gen<'_>) -> TokenStream {
    let rt = &g.rt;
    let cfg = match &g.cfg.registry_feature {
        Some(f) => quote!(#[cfg(feature = #f)]),
        None => quote!(),
    };
    let cmds: Vec<_> = g
        .schema
        .definitions()
        .filter_map(|(_, e)| match &e.kind {
            EntityKind::Command(c) => Some((e, c)),
            _ => None,
        })
        .map(|(e, _)| {
            let t = ident(&names::camel(&e.name));
            quote!(#rt::CommandDescriptor::of::<cmd::#t>())
        })
        .collect();
    let evs: Vec<_> = g
        .schema
        .definitions()
        .filter(|(_, e)| matches!(e.kind, EntityKind::Event(_)))
        .map(|(_, e)| {
            let t = ident(&names::camel(&e.name));
            quote!(#rt::EventDescriptor::of::<event::#t>())
        })
        .collect();
    quote! {
        /// Every command, by wire name: decode arguments or a return value
        /// into the typed form and back.
        #cfg
        #[allow(deprecated)]
        pub static COMMANDS: &[#rt::CommandDescriptor] = &[ #( #cmds ),* ];

        /// Every event, by wire name: decode event data into the typed form
        /// and back.
        #cfg
        #[allow(deprecated)]
        pub static EVENTS: &[#rt::EventDescriptor] = &[ #( #evs ),* ];

        /// The command named `name`.
        #cfg
        pub fn command_by_name(name: &str) -> ::std::option::Option<&'static #rt::CommandDescriptor> {
            COMMANDS.iter().find(|c| c.name == name)
        }

        /// The event named `name`.
        #cfg
        pub fn event_by_name(name: &str) -> ::std::option::Option<&'static #rt::EventDescriptor> {
            EVENTS.iter().find(|e| e.name == name)
        }
    }
}

/// Formats tokens as a file, with the `@generated` header.
fn format(g: &Gen<'_>, tokens: TokenStream) -> Result<String, Error> {
    let mut file: syn::File = syn::parse2(tokens)
        .map_err(|e| Error::Internal(format!("generated code does not parse: {e}")))?;
    g.built.replace(&mut file.items);
    let body = g.verbatim.fill(&prettyplease::unparse(&file));
    Ok(format!(
        "// @generated by {}. Do not edit.\n\n{body}",
        g.cfg.generated_by
    ))
}
