//! Records real QMP traffic for the decode benchmark: the replies of the
//! query commands a `-M pc -S` machine answers (with a block node
//! attached, so block queries have content), and the events of
//! `stop`/`cont` and of a block node's removal.

use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Commands whose replies are recorded (all argument-less queries that
/// such a machine answers with typed data; `query-qmp-schema` is left out:
/// its typed form is the introspection schema, which is not a reply
/// users decode in bulk).
const QUERIES: &[&str] = &[
    "query-status",
    "query-version",
    "query-commands",
    "query-kvm",
    "query-uuid",
    "query-name",
    "query-block",
    "query-named-block-nodes",
    "query-blockstats",
    "query-block-jobs",
    "query-chardev",
    "query-chardev-backends",
    "query-cpus-fast",
    "query-cpu-definitions",
    "query-machines",
    "query-memdev",
    "query-memory-devices",
    "query-pci",
    "query-migrate",
    "query-migrate-capabilities",
    "query-migrate-parameters",
    "query-hotpluggable-cpus",
    "query-iothreads",
    "query-target",
    "query-vnc",
    "query-mice",
    "query-balloon",
    "query-rocker",
    "query-tpm-models",
    "query-display-options",
    "query-acpi-ospm-status",
    "query-memory-size-summary",
];

/// Captures the corpus; returns the number of messages written.
pub fn capture() -> Result<usize, String> {
    let dir = std::env::temp_dir().join(format!("qapi-corpus-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let sock = dir.join("qmp.sock");
    let mut child = Command::new("qemu-system-x86_64")
        .args([
            "-M", "pc", "-S", "-accel", "tcg", "-display", "none", "-qmp",
        ])
        .arg(format!("unix:{},server=on,wait=off", sock.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start qemu-system-x86_64: {e}"))?;
    let result = (|| {
        let deadline = Instant::now() + Duration::from_secs(20);
        let stream = loop {
            match UnixStream::connect(&sock) {
                Ok(s) => break s,
                Err(_) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(20))
                }
                Err(e) => return Err(format!("cannot connect: {e}")),
            }
        };
        let mut reader = BufReader::new(stream.try_clone().map_err(|e| e.to_string())?);
        let mut writer = stream;
        let mut lines: Vec<String> = Vec::new();
        let read = |reader: &mut BufReader<UnixStream>| -> Result<String, String> {
            let mut line = String::new();
            reader.read_line(&mut line).map_err(|e| e.to_string())?;
            Ok(line.trim_end().to_string())
        };
        read(&mut reader)?; // greeting
        let mut exec = |msg: Value,
                        reader: &mut BufReader<UnixStream>,
                        lines: &mut Vec<String>|
         -> Result<Option<String>, String> {
            writeln!(writer, "{msg}").map_err(|e| e.to_string())?;
            loop {
                let line = read(reader)?;
                let v: Value = serde_json::from_str(&line).map_err(|e| e.to_string())?;
                if v.get("event").is_some() {
                    lines.push(line);
                    continue;
                }
                return Ok(v.get("return").map(|_| line));
            }
        };
        exec(
            json!({"execute": "qmp_capabilities"}),
            &mut reader,
            &mut lines,
        )?;
        let image = dir.join("disk.img");
        std::fs::write(&image, vec![0u8; 1 << 20]).map_err(|e| e.to_string())?;
        exec(
            json!({"execute": "blockdev-add", "arguments": {"driver": "raw", "node-name": "disk0",
            "file": {"driver": "file", "filename": image}}}),
            &mut reader,
            &mut lines,
        )?;
        for q in QUERIES {
            if let Some(line) = exec(json!({"execute": q}), &mut reader, &mut lines)? {
                lines.push(format!("{{\"command\":\"{q}\",\"reply\":{line}}}"));
            }
        }
        exec(json!({"execute": "cont"}), &mut reader, &mut lines)?;
        exec(json!({"execute": "stop"}), &mut reader, &mut lines)?;
        exec(
            json!({"execute": "blockdev-del", "arguments": {"node-name": "disk0"}}),
            &mut reader,
            &mut lines,
        )?;
        exec(json!({"execute": "query-status"}), &mut reader, &mut lines)?;
        Ok(lines)
    })();
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);
    let lines = result?;
    let out = crate::workspace().join("qmp-types/benches/corpus.jsonl");
    std::fs::create_dir_all(out.parent().unwrap_or(&out)).map_err(|e| e.to_string())?;
    std::fs::write(&out, lines.join("\n") + "\n").map_err(|e| e.to_string())?;
    Ok(lines.len())
}
