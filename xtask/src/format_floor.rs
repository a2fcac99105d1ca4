//! What syn and prettyplease alone cost on the committed bindings: the
//! floor under the generator's time, since it builds every file as tokens,
//! parses them with `syn::parse2` and prints them with
//! `prettyplease::unparse`.
//!
//! Each generated file is turned into tokens first (not timed: the
//! generator makes its tokens with quote, which costs more), then parsed
//! and printed, on one thread, several times; the figures are the fastest
//! run's.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::{Duration, Instant};

/// The floor, summed over every generated file.
pub struct Floor {
    /// Generated files read.
    pub files: usize,
    /// Their lines.
    pub lines: usize,
    /// Their tokens (a group counts once, plus its contents).
    pub tokens: usize,
    /// `syn::parse2` of every file.
    pub parse: Duration,
    /// `prettyplease::unparse` of every file.
    pub unparse: Duration,
}

/// Measures the floor over the `.rs` files under `dir`, best of `runs`.
pub fn measure(dir: &Path, runs: usize) -> Result<Floor, String> {
    let mut files = Vec::new();
    collect(dir, &mut files)?;
    files.sort();
    let mut sources = Vec::new();
    for f in &files {
        sources.push(std::fs::read_to_string(f).map_err(|e| format!("{}: {e}", f.display()))?);
    }
    let streams: Vec<proc_macro2::TokenStream> = sources
        .iter()
        .zip(&files)
        .map(|(s, f)| {
            proc_macro2::TokenStream::from_str(s).map_err(|e| format!("{}: {e}", f.display()))
        })
        .collect::<Result<_, _>>()?;
    let mut best: Option<(Duration, Duration)> = None;
    for _ in 0..runs.max(1) {
        let (mut parse, mut unparse) = (Duration::ZERO, Duration::ZERO);
        for (stream, f) in streams.iter().zip(&files) {
            let tokens = stream.clone();
            let start = Instant::now();
            let file: syn::File =
                syn::parse2(tokens).map_err(|e| format!("{}: {e}", f.display()))?;
            let parsed = Instant::now();
            let text = prettyplease::unparse(&file);
            unparse += parsed.elapsed();
            parse += parsed - start;
            drop((file, text));
        }
        if best.is_none_or(|(p, u)| parse + unparse < p + u) {
            best = Some((parse, unparse));
        }
    }
    let (parse, unparse) = best.unwrap_or_default();
    Ok(Floor {
        files: files.len(),
        lines: sources.iter().map(|s| s.lines().count()).sum(),
        tokens: streams.iter().map(count).sum(),
        parse,
        unparse,
    })
}

fn count(stream: &proc_macro2::TokenStream) -> usize {
    stream
        .clone()
        .into_iter()
        .map(|t| match t {
            proc_macro2::TokenTree::Group(g) => 1 + count(&g.stream()),
            _ => 1,
        })
        .sum()
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for entry in entries {
        let path = entry.map_err(|e| e.to_string())?.path();
        if path.is_dir() {
            collect(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    Ok(())
}
