//! Replies, errors and events as a person reads them: indented JSON,
//! coloured when the terminal takes colour (not with `--no-color` or
//! `NO_COLOR`), errors as `ClassName: desc`.

use serde_json::Value;

/// How to print.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Style {
    /// Colour (ANSI).
    pub(crate) color: bool,
}

const KEY: &str = "\x1b[34m";
const STRING: &str = "\x1b[32m";
const NUMBER: &str = "\x1b[36m";
const LITERAL: &str = "\x1b[35m";
const RESET: &str = "\x1b[0m";

impl Style {
    /// Indented JSON (two spaces), coloured by kind of token.
    pub(crate) fn json(&self, v: &Value) -> String {
        let mut out = String::new();
        self.write(v, 0, &mut out);
        out
    }

    fn paint(&self, color: &str, text: &str, out: &mut String) {
        if self.color {
            out.push_str(color);
            out.push_str(text);
            out.push_str(RESET);
        } else {
            out.push_str(text);
        }
    }

    fn write(&self, v: &Value, depth: usize, out: &mut String) {
        let pad = |d: usize| "  ".repeat(d);
        match v {
            Value::Null | Value::Bool(_) => self.paint(LITERAL, &v.to_string(), out),
            Value::Number(_) => self.paint(NUMBER, &v.to_string(), out),
            Value::String(_) => self.paint(STRING, &v.to_string(), out),
            Value::Array(a) if a.is_empty() => out.push_str("[]"),
            Value::Object(o) if o.is_empty() => out.push_str("{}"),
            Value::Array(a) => {
                out.push_str("[\n");
                for (i, x) in a.iter().enumerate() {
                    out.push_str(&pad(depth + 1));
                    self.write(x, depth + 1, out);
                    out.push_str(if i + 1 < a.len() { ",\n" } else { "\n" });
                }
                out.push_str(&pad(depth));
                out.push(']');
            }
            Value::Object(o) => {
                out.push_str("{\n");
                for (i, (k, x)) in o.iter().enumerate() {
                    out.push_str(&pad(depth + 1));
                    self.paint(KEY, &Value::String(k.clone()).to_string(), out);
                    out.push_str(": ");
                    self.write(x, depth + 1, out);
                    out.push_str(if i + 1 < o.len() { ",\n" } else { "\n" });
                }
                out.push_str(&pad(depth));
                out.push('}');
            }
        }
    }

    /// An error for people: the server's `ClassName: desc`, or the
    /// client's message.
    pub(crate) fn error(&self, e: &qmp_client::Error) -> String {
        let text = match e {
            qmp_client::Error::Qmp { class, desc, .. } => format!("{class}: {desc}"),
            other => other.to_string(),
        };
        if self.color {
            format!("\x1b[31m{text}{RESET}")
        } else {
            text
        }
    }
}

/// Whether to colour: a terminal, no `--no-color`, no `NO_COLOR`.
pub(crate) fn want_color(no_color: bool) -> bool {
    use std::io::IsTerminal;
    !no_color && std::env::var_os("NO_COLOR").is_none() && std::io::stdout().is_terminal()
}

/// Now, as `seconds.micros` since the epoch (for `-l`).
pub(crate) fn timestamp() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    format!("{}.{:06}", now.as_secs(), now.subsec_micros())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_json_is_indented_and_valid() {
        let v = serde_json::json!({"a": [1, {"b": null}], "c": "x", "d": {}});
        let text = Style { color: false }.json(&v);
        assert_eq!(serde_json::from_str::<Value>(&text).expect("valid"), v);
        assert!(text.contains("\n  \"a\": [\n    1,"), "{text}");
    }

    #[test]
    fn colour_wraps_tokens() {
        let text = Style { color: true }.json(&serde_json::json!({"k": "v"}));
        assert!(
            text.contains("\x1b[34m\"k\"\x1b[0m: \x1b[32m\"v\"\x1b[0m"),
            "{text}"
        );
    }
}
