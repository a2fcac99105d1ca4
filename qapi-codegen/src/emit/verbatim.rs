//! Text that the generator lays out itself: doc comments and the
//! bodies of the runtime's macros (`impl_object!`, `impl_enum!`...).
//!
//! prettyplease (like rustfmt) copies both without laying them out: a doc
//! comment is a string it prints after `///`, one attribute per line, and
//! a macro body is tokens it runs together like words in a paragraph. So
//! the generator writes that text itself (a macro body one entry per
//! line), emits a placeholder in its place (an identifier as the macro's
//! body, one `#[doc]` attribute for a whole comment) and puts the text
//! back after formatting. The text never becomes tokens: syn and
//! prettyplease cost time in proportion to the tokens they handle, and
//! these would be about half of them.

use super::Slots;
use proc_macro2::{Delimiter, Ident, Span, TokenStream, TokenTree};
use quote::quote;

/// The prefix of a placeholder. Only a line that is nothing but a
/// placeholder (after `///` for a doc comment) is replaced, and the
/// generator never writes a schema name alone on a line.
const PLACEHOLDER: &str = "__qapi_bindgen_verbatim_";

/// Text kept for a placeholder.
enum Text {
    /// A macro body, line by line.
    Lines(Vec<String>),
    /// A doc comment's Markdown, made into `///` lines when put back.
    Doc(String),
}

/// The text of one generation context, by placeholder number.
#[derive(Default)]
pub(crate) struct Verbatim {
    texts: Slots<Text>,
}

impl Verbatim {
    fn add(&self, text: Text) -> String {
        format!("{PLACEHOLDER}{}", self.texts.add(text))
    }

    /// Keeps a macro body's `lines` (unindented) and returns the
    /// placeholder to emit as the body.
    pub(crate) fn macro_body(&self, lines: Vec<String>) -> Ident {
        Ident::new(&self.add(Text::Lines(lines)), Span::call_site())
    }

    /// The doc comment of `text` (Markdown), as one placeholder attribute
    /// that becomes a `///` line per line of text.
    pub(crate) fn doc(&self, text: &str) -> TokenStream {
        self.doc_attr(text).map(|a| quote!(#a)).unwrap_or_default()
    }

    /// [`Verbatim::doc`] as a syn attribute, for items built as syn trees.
    pub(crate) fn doc_attr(&self, text: &str) -> Option<syn::Attribute> {
        if text.is_empty() {
            return None;
        }
        let placeholder = self.add(Text::Doc(text.to_owned()));
        let span = Span::call_site();
        Some(syn::Attribute {
            pound_token: Default::default(),
            style: syn::AttrStyle::Outer,
            bracket_token: Default::default(),
            meta: syn::Meta::NameValue(syn::MetaNameValue {
                path: syn::Path::from(Ident::new("doc", span)),
                eq_token: Default::default(),
                value: syn::Expr::Lit(syn::ExprLit {
                    attrs: Vec::new(),
                    lit: syn::Lit::Str(syn::LitStr::new(&placeholder, span)),
                }),
            }),
        })
    }

    /// Puts the text back into formatted `text`: a line that is only a
    /// placeholder becomes its text, indented like it.
    pub(crate) fn fill(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len() * 2);
        for line in text.split_inclusive('\n') {
            let trimmed = line.trim();
            let found = self
                .texts
                .take(PLACEHOLDER, trimmed.strip_prefix("///").unwrap_or(trimmed));
            let indent = &line[..line.len() - line.trim_start().len()];
            match found {
                Some(Text::Lines(lines)) => {
                    for l in lines {
                        if !l.is_empty() {
                            out.push_str(indent);
                            out.push_str(&l);
                        }
                        out.push('\n');
                    }
                }
                Some(Text::Doc(doc)) => {
                    for l in doc.lines() {
                        // As prettyplease prints a `#[doc]` line.
                        let l = l.trim_end_matches(' ');
                        out.push_str(indent);
                        out.push_str("///");
                        if !l.is_empty() {
                            out.push(' ');
                            out.push_str(l);
                        }
                        out.push('\n');
                    }
                }
                None => out.push_str(line),
            }
        }
        out
    }
}

/// A type's tokens as text, spaced like rustfmt spaces a type
/// (`::std::boxed::Box<super::BlockdevRef>`, `(A, B)`).
pub(crate) fn type_text(tokens: &TokenStream) -> String {
    let mut out = String::new();
    push_tokens(&mut out, tokens);
    out
}

fn push_tokens(out: &mut String, tokens: &TokenStream) {
    for tt in tokens.clone() {
        match tt {
            TokenTree::Ident(i) => {
                if out.ends_with(|c: char| c.is_alphanumeric() || c == '_') {
                    out.push(' ');
                }
                out.push_str(&i.to_string());
            }
            TokenTree::Punct(p) => {
                out.push(p.as_char());
                if p.as_char() == ',' || p.as_char() == ';' {
                    out.push(' ');
                }
            }
            TokenTree::Literal(l) => {
                if out.ends_with(|c: char| c.is_alphanumeric() || c == '_') {
                    out.push(' ');
                }
                out.push_str(&l.to_string());
            }
            TokenTree::Group(g) => {
                let (open, close) = match g.delimiter() {
                    Delimiter::Parenthesis => ("(", ")"),
                    Delimiter::Bracket => ("[", "]"),
                    Delimiter::Brace => ("{", "}"),
                    Delimiter::None => ("", ""),
                };
                out.push_str(open);
                push_tokens(out, &g.stream());
                if out.ends_with(' ') {
                    out.pop();
                }
                out.push_str(close);
            }
        }
    }
    if out.ends_with(' ') {
        out.pop();
    }
}

/// A string literal for a wire name.
pub(crate) fn literal(s: &str) -> String {
    proc_macro2::Literal::string(s).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    #[test]
    fn types_are_spaced_like_rustfmt() {
        let cases = [
            (
                quote!(::std::boxed::Box<super::BlockdevRef>),
                "::std::boxed::Box<super::BlockdevRef>",
            ),
            (
                quote!(::std::option::Option<::std::vec::Vec<i64>>),
                "::std::option::Option<::std::vec::Vec<i64>>",
            ),
            (quote!(()), "()"),
            (quote!(my::Map<A, B>), "my::Map<A, B>"),
            (quote!([u8; 4]), "[u8; 4]"),
            (quote!(dyn Fn(u8)), "dyn Fn(u8)"),
        ];
        for (tokens, text) in cases {
            assert_eq!(type_text(&tokens), text);
        }
    }

    #[test]
    fn bodies_replace_their_placeholders_with_the_same_indent() {
        let b = Verbatim::default();
        let first = b.macro_body(vec!["A {".into(), "    x,".into(), "}".into()]);
        let second = b.macro_body(vec!["B {}".into()]);
        let text =
            format!("m! {{\n    {first}\n}}\nmod x {{\n    m! {{\n        {second}\n    }}\n}}\n");
        assert_eq!(
            b.fill(&text),
            "m! {\n    A {\n        x,\n    }\n}\nmod x {\n    m! {\n        B {}\n    }\n}\n"
        );
        // Each body is used once; an unknown number is left alone.
        let again = format!("    {first}\n    {PLACEHOLDER}99\n");
        assert_eq!(b.fill(&again), again);
    }

    #[test]
    fn docs_are_a_line_comment_per_line() {
        let b = Verbatim::default();
        let doc = b.doc("One `x`.  \n\n    indented\n");
        let placeholder = match syn::parse2::<syn::ItemStruct>(quote!(#doc struct S;)) {
            Ok(s) => prettyplease::unparse(&syn::parse_quote!(mod m { #s })),
            Err(e) => panic!("{e}"),
        };
        assert_eq!(
            b.fill(&placeholder),
            "mod m {\n    /// One `x`.\n    ///\n    ///     indented\n    struct S;\n}\n"
        );
        assert!(b.doc("").is_empty());
    }

    #[test]
    fn literals_are_rust_strings() {
        assert_eq!(literal("tls-creds"), "\"tls-creds\"");
        assert_eq!(literal("__org.qemu_x"), "\"__org.qemu_x\"");
    }
}
