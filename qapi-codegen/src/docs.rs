//! Schema documentation (reStructuredText with QAPI's `@name` extension)
//! into rustdoc Markdown.
//!
//! What matters is that the text reads well and that rustdoc neither
//! warns nor compiles anything: examples become fenced `text` blocks,
//! `@member` and ``` ``literal`` ``` become code spans, square brackets
//! and `<` are escaped (rustdoc would take them for links and HTML), bare
//! URLs become autolinks, and no line is left indented (rustdoc would
//! take an indented block for Rust code to test).

/// Converts a block of schema documentation to Markdown.
pub(crate) fn markdown(rst: &str) -> String {
    let lines: Vec<&str> = rst.lines().collect();
    let mut out: Vec<String> = Vec::new();
    // The list being written: its item's indentation and marker width.
    let mut list: Option<(usize, usize)> = None;
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        let trimmed = line.trim();
        let indent = indent_of(line);
        if let Some(directive) = trimmed.strip_prefix(".. ") {
            list = None;
            // A directive: its options and body are the lines indented
            // deeper than it (or blank).
            let (name, arg) = directive.split_once("::").unwrap_or((directive, ""));
            i += 1;
            let mut title = None;
            let mut body = Vec::new();
            while i < lines.len() && (lines[i].trim().is_empty() || indent_of(lines[i]) > indent) {
                let t = lines[i].trim();
                if body.iter().all(|l: &&str| l.trim().is_empty())
                    && t.starts_with(':')
                    && t.len() > 1
                {
                    if let Some(rest) = t.strip_prefix(":title:") {
                        title = Some(rest.trim().to_string());
                    }
                } else {
                    body.push(lines[i]);
                }
                i += 1;
            }
            let body = dedent(&body);
            match name.trim() {
                "qmp-example" => {
                    blank(&mut out);
                    out.push(format!(
                        "**{}**",
                        inline(title.as_deref().unwrap_or("Example:"))
                    ));
                    fence(&mut out, &body);
                }
                "code-block" | "code" | "parsed-literal" => fence(&mut out, &body),
                "note" | "warning" | "caution" | "important" | "admonition" | "hint" | "tip"
                | "attention" => {
                    let label = match name.trim() {
                        "admonition" if !arg.trim().is_empty() => arg.trim().to_string(),
                        "admonition" | "note" => "Note".to_string(),
                        other => capitalize(other),
                    };
                    blank(&mut out);
                    // Text on the directive's own line starts the body,
                    // which is converted like any text (lists included).
                    let inline_text = if name.trim() == "admonition" {
                        ""
                    } else {
                        arg.trim()
                    };
                    let body = if inline_text.is_empty() {
                        body
                    } else {
                        format!("{inline_text}\n{body}")
                    };
                    let inner = markdown(&body);
                    let label = format!("**{}:**", inline(&label));
                    match inner.lines().next() {
                        Some(first)
                            if !first.is_empty()
                                && list_marker(first).is_none()
                                && !first.starts_with("```") =>
                        {
                            let mut lines = inner.lines();
                            out.push(format!("{label} {}", lines.next().unwrap_or_default()));
                            out.extend(lines.map(str::to_string));
                        }
                        _ => {
                            out.push(label);
                            out.push(String::new());
                            out.extend(inner.lines().map(str::to_string));
                        }
                    }
                    out.push(String::new());
                }
                // Anything else: keep its text, without markup.
                _ => {
                    blank(&mut out);
                    out.extend(markdown(&body).lines().map(str::to_string));
                    out.push(String::new());
                }
            }
            continue;
        }
        // A paragraph ending in `::` introduces a literal block.
        if trimmed.ends_with("::") && !trimmed.starts_with(".. ") {
            list = None;
            let text = trimmed.trim_end_matches("::");
            if !text.trim().is_empty() {
                // "Text::" renders as "Text:"; a lone "::" disappears.
                out.push(format!("{}:", inline(text.trim_end())));
            }
            i += 1;
            let mut body = Vec::new();
            while i < lines.len() && (lines[i].trim().is_empty() || indent_of(lines[i]) > indent) {
                body.push(lines[i]);
                i += 1;
            }
            fence(&mut out, &dedent(&body));
            continue;
        }
        // Lists: continuation lines are indented by the marker's width
        // (2 or 3 spaces: never 4, which would make a code block).
        if trimmed.is_empty() {
            out.push(String::new());
            i += 1;
            continue;
        }
        if let Some(width) = list_marker(trimmed) {
            if let Some(prev) = out.last() {
                // A list needs a blank line before it unless it continues one.
                if !prev.is_empty() && list.is_none() {
                    out.push(String::new());
                }
            }
            list = Some((indent, width));
            out.push(inline(trimmed));
        } else {
            match list {
                Some((item_indent, width)) if indent > item_indent => {
                    let last_blank = out.last().is_some_and(String::is_empty);
                    if last_blank && indent < item_indent + width {
                        list = None;
                        out.push(inline(trimmed));
                    } else {
                        out.push(format!("{}{}", " ".repeat(width), inline(trimmed)));
                    }
                }
                Some(_) => {
                    // The list has ended: a paragraph needs a blank line.
                    list = None;
                    if out.last().is_some_and(|l| !l.is_empty()) {
                        out.push(String::new());
                    }
                    out.push(inline(trimmed));
                }
                None => out.push(inline(trimmed)),
            }
        }
        i += 1;
    }
    // Collapse runs of blank lines and trim the ends.
    let mut result: Vec<String> = Vec::with_capacity(out.len());
    for l in out {
        if l.is_empty() && result.last().is_none_or(|p: &String| p.is_empty()) {
            continue;
        }
        result.push(l);
    }
    while result.last().is_some_and(|l| l.is_empty()) {
        result.pop();
    }
    result.join("\n")
}

/// The width of a list marker (`- `, `* `, `1. `, `1) `) at the start of
/// a line.
fn list_marker(line: &str) -> Option<usize> {
    if line.starts_with("- ") || line.starts_with("* ") || line.starts_with("+ ") {
        return Some(2);
    }
    let digits = line.bytes().take_while(u8::is_ascii_digit).count();
    if digits > 0
        && digits <= 2
        && (line[digits..].starts_with(". ") || line[digits..].starts_with(") "))
    {
        return Some(digits + 2);
    }
    None
}

fn blank(out: &mut Vec<String>) {
    if out.last().is_some_and(|l| !l.is_empty()) {
        out.push(String::new());
    }
}

/// A fenced `text` block, never compiled by rustdoc.
fn fence(out: &mut Vec<String>, body: &str) {
    let body = body.trim_matches('\n');
    if body.trim().is_empty() {
        return;
    }
    blank(out);
    // A body containing ``` itself needs a longer fence.
    let ticks = if body.contains("```") { "````" } else { "```" };
    out.push(format!("{ticks}text"));
    out.extend(body.lines().map(|l| l.trim_end().to_string()));
    out.push(ticks.to_string());
    out.push(String::new());
}

fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

fn dedent(lines: &[&str]) -> String {
    let min = lines
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| indent_of(l))
        .min()
        .unwrap_or(0);
    lines
        .iter()
        .map(|l| l.get(min..).unwrap_or("").trim_end())
        .collect::<Vec<_>>()
        .join("\n")
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// Inline markup of one line: ``` ``literal`` ``` and `@name` become code
/// spans; text outside code spans is escaped for Markdown.
pub(crate) fn inline(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    let mut rest = text;
    while !rest.is_empty() {
        // Text without markup or characters to escape is copied as a run.
        let plain = rest
            .find(['`', '@', 'h', '[', ']', '<', '>', '\\', '|', '#'])
            .unwrap_or(rest.len());
        if plain > 0 {
            out.push_str(&rest[..plain]);
            rest = &rest[plain..];
            continue;
        }
        if let Some(after) = rest.strip_prefix("``") {
            if let Some(end) = after.find("``") {
                code_span(&mut out, &after[..end]);
                rest = &after[end + 2..];
                continue;
            }
        }
        if let Some(after) = rest.strip_prefix('`') {
            // rST interpreted text `x` (and roles like :ref:`x`): code.
            if let Some(end) = after.find('`') {
                code_span(&mut out, &after[..end]);
                rest = &after[end + 1..];
                continue;
            }
        }
        if let Some(after) = rest.strip_prefix('@') {
            let len = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || "-_.".contains(c)))
                .unwrap_or(after.len());
            // A trailing '.' ends the sentence, not the name.
            let name = after[..len].trim_end_matches('.');
            if !name.is_empty() {
                code_span(&mut out, name);
                rest = &after[name.len()..];
                continue;
            }
        }
        if rest.starts_with("http://") || rest.starts_with("https://") {
            let len = rest
                .find(|c: char| c.is_whitespace() || c == '>' || c == ')')
                .unwrap_or(rest.len());
            let url = rest[..len].trim_end_matches(['.', ',', ';']);
            out.push('<');
            out.push_str(url);
            out.push('>');
            rest = &rest[url.len()..];
            continue;
        }
        let c = rest.chars().next().unwrap_or(' ');
        match c {
            '[' | ']' | '<' | '>' | '\\' | '|' => {
                out.push('\\');
                out.push(c);
            }
            // A '#' starting a line would make a heading.
            '#' if out.is_empty() => out.push_str("\\#"),
            _ => out.push(c),
        }
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// Plain text (the legacy events spec has no markup): each line escaped,
/// none left indented.
pub(crate) fn plain(text: &str) -> String {
    text.lines()
        .map(|l| inline(l.trim()))
        .collect::<Vec<_>>()
        .join("\n")
}

fn code_span(out: &mut String, code: &str) {
    let ticks = if code.contains('`') { "``" } else { "`" };
    out.push_str(ticks);
    if code.starts_with('`') || code.ends_with('`') {
        out.push(' ');
        out.push_str(code);
        out.push(' ');
    } else {
        out.push_str(code);
    }
    out.push_str(ticks);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_markup() {
        assert_eq!(
            inline("see @node-name and ``x-y``."),
            "see `node-name` and `x-y`."
        );
        assert_eq!(
            inline("a [link] <tag> and a|b"),
            "a \\[link\\] \\<tag\\> and a\\|b"
        );
        assert_eq!(
            inline("at https://qemu.org/docs."),
            "at <https://qemu.org/docs>."
        );
        assert_eq!(inline("# not a heading"), "\\# not a heading");
        assert_eq!(inline("email @ home"), "email @ home");
        assert_eq!(inline("see :ref:`foo`"), "see :ref:`foo`");
    }

    #[test]
    fn examples_become_text_blocks() {
        let md = markdown(
            "Does things.\n\n.. qmp-example::\n   :title: Two things\n\n    -> { \"execute\": \"x\" }\n    <- { \"return\": {} }\n\nAfter.",
        );
        assert_eq!(
            md,
            "Does things.\n\n**Two things**\n\n```text\n-> { \"execute\": \"x\" }\n<- { \"return\": {} }\n```\n\nAfter."
        );
    }

    #[test]
    fn literal_blocks_and_notes() {
        let md = markdown(
            "For example::\n\n    a [b]\n      c\n\n.. note:: Careful with\n   @this.\n\nEnd.",
        );
        assert_eq!(
            md,
            "For example:\n\n```text\na [b]\n  c\n```\n\n**Note:** Careful with\n`this`.\n\nEnd."
        );
    }

    #[test]
    fn lists_keep_their_continuations() {
        let md = markdown("Item:\n- one\n  continued\n- two\nAfter.\n\n1. first\n   more");
        assert_eq!(
            md,
            "Item:\n\n- one\n  continued\n- two\n\nAfter.\n\n1. first\n   more"
        );
    }

    #[test]
    fn no_code_block_indentation_survives() {
        let md = markdown("Item:\n\n- one\n        deeply\n\n    quoted");
        assert!(md.lines().all(|l| !l.starts_with("    ")), "{md}");
    }
}
