//! Quick start: drives a real QEMU.
//!
//! `cargo run -p qmp-client --example quickstart` starts a throwaway
//! `qemu-storage-daemon` in a temporary directory (or pass the path of a
//! QMP socket to use a QEMU of yours), negotiates, runs a few typed
//! commands, creates a block job and prints the events it produces.

use qmp_client::Client;
use qmp_types::{cmd, event};
use std::time::Duration;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::temp_dir().join(format!("qmp-quickstart-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let (socket, mut daemon) = match std::env::args().nth(1) {
        Some(path) => (std::path::PathBuf::from(path), None),
        None => {
            let sock = dir.join("qmp.sock");
            let child = std::process::Command::new("qemu-storage-daemon")
                .arg("--chardev")
                .arg(format!(
                    "socket,path={},server=on,wait=off,id=qmp",
                    sock.display()
                ))
                .args(["--monitor", "chardev=qmp"])
                .spawn()
                .map_err(|e| format!("cannot start qemu-storage-daemon (is it installed?): {e}"))?;
            println!("started qemu-storage-daemon (pid {})", child.id());
            (sock, Some(child))
        }
    };

    let result = run(&socket, &dir).await;
    if let Some(d) = daemon.as_mut() {
        let _ = d.kill();
        let _ = d.wait();
    }
    let _ = std::fs::remove_dir_all(&dir);
    result
}

async fn run(
    socket: &std::path::Path,
    dir: &std::path::Path,
) -> Result<(), Box<dyn std::error::Error>> {
    // The daemon's socket appears a moment after it starts.
    let config = qmp_client::Config {
        connect_retry: true,
        ..Default::default()
    };
    let client = Client::connect_unix_with(socket, config).await?;
    println!(
        "connected to QEMU {} (out-of-band: {})",
        client.greeting().version.qemu,
        client.oob_enabled()
    );

    let commands = client.execute(&cmd::QueryCommands).await?;
    println!("the server knows {} commands", commands.len());
    let nodes = client
        .execute(&cmd::QueryNamedBlockNodes::default())
        .await?;
    println!("block nodes: {}", nodes.len());

    // Subscribe before the command, so that no event can be missed.
    let mut jobs = client.events_of::<event::JobStatusChange>();
    let image = dir.join("disk.img");
    println!(
        "creating {} (1 MiB) with a blockdev-create job",
        image.display()
    );
    let options = qmp_types::BlockdevCreateOptionsFile::new(image.display().to_string(), 1 << 20);
    let create = cmd::BlockdevCreate::new("create0", options.into());
    // run_job follows the job to its end, reads its error and dismisses it.
    let job = client.run_job(&create, "create0", Duration::from_secs(10));
    let print = async {
        loop {
            let msg = jobs.next().await?;
            println!(
                "  event JOB_STATUS_CHANGE at {}.{:06}: job {} is {}",
                msg.timestamp.seconds, msg.timestamp.microseconds, msg.event.id, msg.event.status
            );
            if msg.event.status == qmp_types::JobStatus::Null {
                return Ok::<_, qmp_client::Error>(());
            }
        }
    };
    tokio::try_join!(job, print)?;
    let jobs = client.execute(&cmd::QueryJobs).await?;
    println!("jobs left: {}", jobs.len());
    Ok(())
}
