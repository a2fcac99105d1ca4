//! Run, pause, reset and quit a VM, each step confirmed by its event.
//!
//! `cargo run -p qmp-client --example lifecycle` starts a throwaway
//! `qemu-system-x86_64` (a `pc` machine, paused before it starts, no
//! guest) and drives it: `cont` until `RESUME`, `stop` until `STOP`,
//! `system_reset` until `RESET`, and `quit` until `SHUTDOWN`.

mod common;

use common::{Qemu, Result};
use qmp_client::Client;
use qmp_types::{cmd, event};
use std::time::Duration;

// pub(crate): tests/examples.rs runs it against a real QEMU.
#[tokio::main(flavor = "current_thread")]
pub(crate) async fn main() -> Result {
    let qemu = Qemu::system(&["-M", "pc", "-S"])?;
    run(&qemu.client().await?).await
}

async fn run(client: &Client) -> Result {
    let wait = Duration::from_secs(10);
    let status = client.execute(&cmd::QueryStatus).await?;
    println!("status: {}", status.status);

    let (_, resumed) = client
        .execute_until(&cmd::Cont, |_: &event::Resume| true, wait)
        .await?;
    println!("RESUME at {}", resumed.timestamp.seconds);
    let (_, stopped) = client
        .execute_until(&cmd::Stop, |_: &event::Stop| true, wait)
        .await?;
    println!("STOP at {}", stopped.timestamp.seconds);
    let (_, reset) = client
        .execute_until(&cmd::SystemReset, |_: &event::Reset| true, wait)
        .await?;
    println!(
        "RESET (guest: {}, reason: {})",
        reset.event.guest, reset.event.reason
    );
    println!(
        "status: {}",
        client.execute(&cmd::QueryStatus).await?.status
    );

    let (_, shutdown) = client
        .execute_until(&cmd::Quit, |_: &event::Shutdown| true, wait)
        .await?;
    println!("SHUTDOWN (reason: {})", shutdown.event.reason);
    Ok(())
}
