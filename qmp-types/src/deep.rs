//! Decoding JSON nested as deeply as QEMU produces, without overflowing
//! the stack.
//!
//! QEMU nests real replies deeper than serde_json's default limit of 128
//! levels: `query-named-block-nodes` over a backing chain of 200 qcow2
//! images nests about 205 levels, because each image's `backing-image`
//! holds the next one. QEMU's own JSON parser accepts 1,024 levels
//! ([`MAX_DEPTH`]), so that is the bound here: anything up to it
//! decodes, anything deeper is an error, and nothing aborts the process.
//!
//! Decoding is recursive (serde's visitors call each other, one level of
//! JSON after another), so depth costs stack: a debug build takes tens of
//! kilobytes per level of a union such as `BlockdevOptions`. Two things
//! keep that off the caller's stack:
//!
//! - [`from_str`] (and [`from_str_with`]) decode the common case, a
//!   value at most 128 levels deep, exactly as `serde_json::from_str`
//!   does; a value nested deeper is decoded without serde_json's limit
//!   on a stack of its own, sized by its depth.
//! - The decoder of a union's branch, which recurses once more per union
//!   level (streaming the rest of the union's members, or decoding those
//!   it buffered), grows the stack when little is left ([`grow`]). That is what lets a `blockdev-add` of
//!   a hundred nested `raw` nodes decode on a 2 MiB thread in a debug build.
//!
//! ```
//! // 300 levels: more than serde_json's default, less than QEMU's.
//! let text = format!("{}1{}", "[".repeat(300), "]".repeat(300));
//! assert!(serde_json::from_str::<serde_json::Value>(&text).is_err());
//! let value: serde_json::Value = qmp_types::deep::from_str(&text)?;
//! assert_eq!(qmp_types::deep::value_depth(&value), 300);
//!
//! // Deeper than QEMU itself accepts: an error, not a crash.
//! let text = format!("{}1{}", "[".repeat(5000), "]".repeat(5000));
//! let err = qmp_types::deep::from_str::<serde_json::Value>(&text).unwrap_err();
//! assert!(err.to_string().contains("deeper than 1024"));
//! # Ok::<(), serde_json::Error>(())
//! ```

use serde::de::DeserializeOwned;
use serde_json::de::StrRead;

/// The deepest nesting decoded: QEMU's own JSON parser refuses more
/// (`MAX_NESTING` in `qobject/json-parser.c`).
pub const MAX_DEPTH: usize = 1024;

/// serde_json's own recursion limit: up to it, the ordinary decoder is
/// used as it is.
const SERDE_JSON_LIMIT: usize = 128;

/// Up to this depth a value is decoded from (or encoded to) a
/// `serde_json::Value` on the caller's stack; deeper, on a stack of its
/// own (the registry's round trip is no hot path).
const SHALLOW: usize = 16;

/// The stack given to each level of a deep value: a generous upper bound
/// of what one level of the generated decoders takes in a debug build
/// (a release build takes a tenth of it). Stacks are mapped lazily, so
/// what is not used costs no memory.
const STACK_PER_LEVEL: usize = 96 * 1024;

/// How much stack must be left before [`grow`] moves to a new segment.
const RED_ZONE: usize = 256 * 1024;

/// The size of a segment [`grow`] adds.
const SEGMENT: usize = 4 * 1024 * 1024;

/// How deeply `text` nests arrays and objects (outside strings): `0` for
/// a scalar, `1` for `{}` or `[1]`. Malformed text gets a number too
/// (the most brackets open at once); it is for choosing how to decode,
/// not for validating.
///
/// ```
/// assert_eq!(qmp_types::deep::depth(r#"{"a": [1, {"b": "]]]"}]}"#), 3);
/// ```
pub fn depth(text: &str) -> usize {
    let mut depth = 0usize;
    let mut deepest = 0usize;
    let mut bytes = text.bytes();
    while let Some(b) = bytes.next() {
        match b {
            b'{' | b'[' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            b'"' => {
                // Skip the string, escapes included.
                while let Some(b) = bytes.next() {
                    match b {
                        b'\\' => {
                            bytes.next();
                        }
                        b'"' => break,
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    deepest
}

/// How deeply a JSON value nests (without recursion: a value of any
/// depth can be measured).
pub fn value_depth(value: &serde_json::Value) -> usize {
    use serde_json::Value;
    let mut deepest = 0;
    let mut stack: Vec<(&Value, usize)> = vec![(value, 0)];
    while let Some((v, d)) = stack.pop() {
        match v {
            Value::Array(items) => {
                deepest = deepest.max(d + 1);
                stack.extend(items.iter().map(|i| (i, d + 1)));
            }
            Value::Object(members) => {
                deepest = deepest.max(d + 1);
                stack.extend(members.values().map(|i| (i, d + 1)));
            }
            _ => {}
        }
    }
    deepest
}

/// The error for a value nested deeper than [`MAX_DEPTH`].
fn too_deep<E: serde::de::Error>(depth: usize) -> E {
    E::custom(format_args!(
        "the value is nested {depth} levels deep, deeper than {MAX_DEPTH} (QEMU's own limit)"
    ))
}

/// Runs `f` on a stack with room for a value `depth` levels deep.
pub(crate) fn on_stack_for<R>(depth: usize, f: impl FnOnce() -> R) -> R {
    stacker::grow(SEGMENT + depth * STACK_PER_LEVEL, f)
}

/// Decodes `text` as a `T`: like `serde_json::from_str`, but a value
/// nested up to [`MAX_DEPTH`] levels decodes, and a deeper one is an
/// error (never a stack overflow).
pub fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, serde_json::Error> {
    from_str_with(text, |de| T::deserialize(de))
}

/// Decodes `text` with `decode`, which is handed serde_json's
/// deserializer: for decoders that wrap it (`serde_path_to_error`, a
/// seed). First exactly as `decode` on
/// `serde_json::Deserializer::from_str(text)`, which costs nothing extra;
/// only when that fails and the text nests deeper than serde_json's
/// limit of 128 levels is it decoded again, without the limit and on a
/// stack of its own, and beyond [`MAX_DEPTH`] refused. Trailing
/// characters after the value are an error, as in `serde_json::from_str`.
pub fn from_str_with<'a, T>(
    text: &'a str,
    mut decode: impl FnMut(&mut serde_json::Deserializer<StrRead<'a>>) -> Result<T, serde_json::Error>,
) -> Result<T, serde_json::Error> {
    let error = match run(text, false, &mut decode) {
        Ok(value) => return Ok(value),
        Err(e) => e,
    };
    // Each level takes a byte: a short text cannot be too deep.
    if text.len() <= SERDE_JSON_LIMIT {
        return Err(error);
    }
    let d = depth(text);
    if d <= SERDE_JSON_LIMIT {
        return Err(error);
    }
    if d > MAX_DEPTH {
        return Err(too_deep(d));
    }
    on_stack_for(d, || run(text, true, &mut decode))
}

/// One decoding of `text`, with or without serde_json's recursion limit.
fn run<'a, T>(
    text: &'a str,
    unlimited: bool,
    decode: &mut impl FnMut(&mut serde_json::Deserializer<StrRead<'a>>) -> Result<T, serde_json::Error>,
) -> Result<T, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_str(text);
    if unlimited {
        de.disable_recursion_limit();
    }
    let value = decode(&mut de)?;
    de.end()?;
    Ok(value)
}

/// Decodes a JSON value as a `T` (like `T::deserialize(value)`), on a
/// stack with room for its depth; a value nested deeper than
/// [`MAX_DEPTH`] is an error.
pub fn from_value<T: DeserializeOwned>(value: &serde_json::Value) -> Result<T, serde_json::Error> {
    let d = value_depth(value);
    if d > MAX_DEPTH {
        return Err(too_deep(d));
    }
    if d <= SHALLOW {
        return T::deserialize(value);
    }
    on_stack_for(d, || T::deserialize(value))
}

/// Encodes `value` as JSON, on a stack with room for `depth` levels
/// (see [`value_depth`]); for re-encoding what [`from_value`] decoded.
pub fn to_value<T: serde::Serialize>(
    value: &T,
    depth: usize,
) -> Result<serde_json::Value, serde_json::Error> {
    if depth <= SHALLOW {
        return serde_json::to_value(value);
    }
    on_stack_for(depth, || serde_json::to_value(value))
}

/// Runs `f`, on a new stack segment when the current one is nearly used
/// up: the generated decoders call this where they recurse without
/// serde_json's depth accounting (a union's buffered branch members).
#[inline]
pub fn grow<R>(f: impl FnOnce() -> R) -> R {
    stacker::maybe_grow(RED_ZONE, SEGMENT, f)
}
