//! What gotrace's commands print for the user, shared by every stage.

use std::io::Write;

/// Writes a command's result to stdout. A reader that went away (`gotrace inspect … | head`)
/// is not an error worth a message.
pub fn write_stdout(bytes: &[u8]) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(anyhow::Error::new(e).context("cannot write to stdout")),
        _ => Ok(()),
    }
}
