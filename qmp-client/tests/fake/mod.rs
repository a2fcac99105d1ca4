//! A fake QMP server on a real Unix socket, for the tests of failure
//! paths (shared by the test files that `mod fake;` it).

// Each test file uses part of this.
#![allow(dead_code)]

use qmp_client::{Client, Config};
use serde_json::Value;
use std::path::PathBuf;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::UnixListener;

/// The read half of the fake server's connection.
pub(crate) type Reader = BufReader<tokio::net::unix::OwnedReadHalf>;
/// The write half.
pub(crate) type Writer = tokio::net::unix::OwnedWriteHalf;

pub(crate) const GREETING: &str = r#"{"QMP": {"version": {"qemu": {"micro": 2, "minor": 0, "major": 10}, "package": "fake"}, "capabilities": ["oob"]}}"#;

pub(crate) fn socket_path(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("qmp-client-faults-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir.join("qmp.sock")
}

/// A fake server: greets, accepts qmp_capabilities, then hands the
/// connection to `script`.
pub(crate) async fn fake<F, Fut>(
    name: &str,
    config: Config,
    script: F,
) -> (Client, tokio::task::JoinHandle<()>)
where
    F: FnOnce(Reader, Writer) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let path = socket_path(name);
    let listener = UnixListener::bind(&path).expect("bind");
    let server = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.expect("accept");
        let (r, mut w) = stream.into_split();
        let mut r = BufReader::new(r);
        w.write_all(format!("{GREETING}\r\n").as_bytes())
            .await
            .expect("greet");
        let mut line = String::new();
        r.read_line(&mut line).await.expect("capabilities");
        let v: Value = serde_json::from_str(&line).expect("JSON");
        assert_eq!(v["execute"], "qmp_capabilities");
        w.write_all(b"{\"return\": {}}\r\n").await.expect("reply");
        script(r, w).await;
    });
    let client = Client::connect_unix_with(&path, config)
        .await
        .expect("connect");
    (client, server)
}

/// `body` as the reply to `req`: with the request's id when it has one
/// (the client numbers only the requests whose replies can come out of
/// order, unless told to number every one).
pub(crate) fn reply_to(req: &Value, mut body: Value) -> Value {
    if let Some(id) = req.get("id") {
        body["id"] = id.clone();
    }
    body
}

pub(crate) async fn read_request(r: &mut Reader) -> Option<Value> {
    let mut line = String::new();
    match r.read_line(&mut line).await {
        Ok(0) | Err(_) => None,
        Ok(_) => serde_json::from_str(&line).ok(),
    }
}
