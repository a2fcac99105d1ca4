//! What a person types, in qmp-shell's syntax: `command key=value ...`
//! (values parsed as JSON when they are JSON, strings otherwise; dotted
//! keys build nested objects), a raw JSON request, or a `transaction(`
//! ... `)` block grouping actions.

use serde_json::{Map, Value};

/// One request to send.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Request {
    /// The command.
    pub(crate) name: String,
    /// Its arguments (`None`: none given).
    pub(crate) arguments: Option<Value>,
}

impl Request {
    /// The request as it goes on the wire (for `-v` and `-l`).
    pub(crate) fn to_json(&self) -> Value {
        let mut sent = serde_json::json!({ "execute": self.name });
        if let Some(a) = &self.arguments {
            sent["arguments"] = a.clone();
        }
        sent
    }
}

/// What a line gave.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Parsed {
    /// A request to send.
    Request(Request),
    /// Inside a `transaction(` block: nothing to send yet.
    Pending,
    /// An empty line.
    Empty,
}

/// The value of `text`: JSON when it is JSON (`1`, `true`, `[...]`,
/// `{...}`, `"quoted"`), a string otherwise.
fn value(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_string()))
}

/// Sets `path` (dotted) to `v` in `args`.
fn insert(args: &mut Map<String, Value>, path: &str, v: Value) -> Result<(), String> {
    let mut parts = path.split('.').peekable();
    let mut map = args;
    while let Some(part) = parts.next() {
        if part.is_empty() {
            return Err(format!("'{path}': an empty key"));
        }
        if parts.peek().is_none() {
            if map.insert(part.to_string(), v).is_some() {
                return Err(format!("'{path}' is given twice"));
            }
            return Ok(());
        }
        let next = map
            .entry(part.to_string())
            .or_insert_with(|| Value::Object(Map::new()));
        map = next.as_object_mut().ok_or_else(|| {
            format!("'{path}': '{part}' already has a value that is not an object")
        })?;
    }
    Ok(())
}

/// Splits a line into words at spaces, keeping JSON values (`[...]`,
/// `{...}`, quoted strings) whole.
fn words(line: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let (mut depth, mut quoted, mut escaped) = (0i32, false, false);
    for c in line.chars() {
        if quoted {
            word.push(c);
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => quoted = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => {
                quoted = true;
                word.push(c);
            }
            '[' | '{' => {
                depth += 1;
                word.push(c);
            }
            ']' | '}' => {
                depth -= 1;
                word.push(c);
            }
            c if c.is_whitespace() && depth == 0 => {
                if !word.is_empty() {
                    out.push(std::mem::take(&mut word));
                }
            }
            c => word.push(c),
        }
    }
    if quoted || depth != 0 {
        return Err("an unfinished quoted string, array or object".into());
    }
    if !word.is_empty() {
        out.push(word);
    }
    Ok(out)
}

/// `key=value` words into the arguments object (`None` when there are
/// none).
fn arguments<'w>(words: impl IntoIterator<Item = &'w str>) -> Result<Option<Value>, String> {
    let mut args = Map::new();
    for w in words {
        let (key, v) = w
            .split_once('=')
            .ok_or_else(|| format!("'{w}': expected key=value"))?;
        insert(&mut args, key, value(v))?;
    }
    Ok((!args.is_empty()).then_some(Value::Object(args)))
}

/// `command key=value...` into a request.
fn command(line: &str) -> Result<Request, String> {
    let words = words(line)?;
    let Some((name, rest)) = words.split_first() else {
        return Err("no command".into());
    };
    Ok(Request {
        name: name.clone(),
        arguments: arguments(rest.iter().map(String::as_str))?,
    })
}

/// Reads lines one at a time: a `transaction(` line opens a block whose
/// lines are its actions (`type key=value...`), and `)` sends it.
#[derive(Debug, Default)]
pub(crate) struct Reader {
    actions: Option<Vec<Value>>,
}

impl Reader {
    /// Whether a transaction block is open (the prompt says so).
    pub(crate) fn in_transaction(&self) -> bool {
        self.actions.is_some()
    }

    /// Reads one line.
    pub(crate) fn line(&mut self, line: &str) -> Result<Parsed, String> {
        let line = line.trim();
        if let Some(actions) = &mut self.actions {
            if line == ")" {
                let actions = self.actions.take().unwrap_or_default();
                let mut args = Map::new();
                args.insert("actions".into(), Value::Array(actions));
                return Ok(Parsed::Request(Request {
                    name: "transaction".into(),
                    arguments: Some(Value::Object(args)),
                }));
            }
            if line.is_empty() {
                return Ok(Parsed::Pending);
            }
            let action = command(line)?;
            let mut a = Map::new();
            a.insert("type".into(), Value::String(action.name));
            if let Some(data) = action.arguments {
                a.insert("data".into(), data);
            }
            actions.push(Value::Object(a));
            return Ok(Parsed::Pending);
        }
        if line.is_empty() {
            return Ok(Parsed::Empty);
        }
        if line == "transaction(" {
            self.actions = Some(Vec::new());
            return Ok(Parsed::Pending);
        }
        if line.starts_with('{') {
            // A raw request, sent as it is.
            let v: Value = serde_json::from_str(line).map_err(|e| format!("not JSON: {e}"))?;
            let name = v
                .get("execute")
                .and_then(Value::as_str)
                .ok_or("a raw request needs \"execute\"")?
                .to_string();
            return Ok(Parsed::Request(Request {
                name,
                arguments: v.get("arguments").cloned(),
            }));
        }
        command(line).map(Parsed::Request)
    }
}

/// A one-shot command line (`COMMAND key=value...`, already split by the
/// shell) into a request.
pub(crate) fn from_args(name: &str, args: &[String]) -> Result<Request, String> {
    Ok(Request {
        name: name.to_string(),
        arguments: arguments(args.iter().map(String::as_str))?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn one(line: &str) -> Request {
        match Reader::default().line(line) {
            Ok(Parsed::Request(r)) => r,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn values_are_json_when_they_are_json_and_strings_otherwise() {
        let r = one(r#"x a=1 b=true c=[1,2] d={"e": 3} f=disk.img g="quoted string" h=-1.5"#);
        assert_eq!(r.name, "x");
        assert_eq!(
            r.arguments,
            Some(json!({"a": 1, "b": true, "c": [1, 2], "d": {"e": 3},
                        "f": "disk.img", "g": "quoted string", "h": -1.5}))
        );
    }

    #[test]
    fn dotted_keys_build_nested_objects() {
        let r = one("blockdev-add driver=raw node-name=r0 file.driver=file file.filename=disk.img");
        assert_eq!(
            r.arguments,
            Some(json!({"driver": "raw", "node-name": "r0",
                        "file": {"driver": "file", "filename": "disk.img"}}))
        );
    }

    #[test]
    fn a_command_without_arguments_sends_none() {
        assert_eq!(one("query-status").arguments, None);
    }

    #[test]
    fn raw_json_is_sent_as_it_is() {
        let r = one(r#"{"execute": "qom-list", "arguments": {"path": "/"}}"#);
        assert_eq!(
            (r.name.as_str(), r.arguments),
            ("qom-list", Some(json!({"path": "/"})))
        );
    }

    #[test]
    fn transactions_group_their_actions() {
        let mut reader = Reader::default();
        assert_eq!(reader.line("transaction("), Ok(Parsed::Pending));
        assert!(reader.in_transaction());
        assert_eq!(
            reader.line("block-dirty-bitmap-add node=d0 name=b0"),
            Ok(Parsed::Pending)
        );
        assert_eq!(
            reader.line("block-dirty-bitmap-add node=d1 name=b0"),
            Ok(Parsed::Pending)
        );
        let Ok(Parsed::Request(r)) = reader.line(")") else {
            panic!("the block sends")
        };
        assert_eq!(r.name, "transaction");
        assert_eq!(
            r.arguments,
            Some(json!({"actions": [
                {"type": "block-dirty-bitmap-add", "data": {"node": "d0", "name": "b0"}},
                {"type": "block-dirty-bitmap-add", "data": {"node": "d1", "name": "b0"}}]}))
        );
        assert!(!reader.in_transaction());
    }

    #[test]
    fn mistakes_say_what_is_wrong() {
        let mut r = Reader::default();
        assert_eq!(
            r.line("x novalue"),
            Err("'novalue': expected key=value".into())
        );
        assert_eq!(r.line("x a=1 a=2"), Err("'a' is given twice".into()));
        assert_eq!(
            r.line("x a=1 a.b=2"),
            Err("'a.b': 'a' already has a value that is not an object".into())
        );
        assert!(r.line("x a=[1,2").is_err());
        assert!(r.line("{not json").is_err());
    }
}
