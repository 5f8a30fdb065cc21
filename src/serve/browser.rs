//! Opening the user's default browser, when there is a screen to open it on.

use std::process::{Command, Stdio};

pub fn open(url: &str) {
    if !has_display() {
        eprintln!("gotrace: no display found; open {url} in a browser");
        return;
    }
    let mut command = opener(url);
    let spawned = command.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null()).spawn();
    match spawned {
        // Reap the opener when it exits; it does not outlive the browser's start.
        Ok(mut child) => {
            std::thread::spawn(move || child.wait());
        }
        Err(e) => eprintln!("gotrace: cannot open a browser ({e}); open {url} yourself"),
    }
}

fn has_display() -> bool {
    if cfg!(any(target_os = "linux", target_os = "freebsd", target_os = "openbsd", target_os = "netbsd")) {
        std::env::var_os("DISPLAY").is_some_and(|v| !v.is_empty()) || std::env::var_os("WAYLAND_DISPLAY").is_some_and(|v| !v.is_empty())
    } else {
        true
    }
}

fn opener(url: &str) -> Command {
    if cfg!(target_os = "macos") {
        let mut c = Command::new("open");
        c.arg(url);
        c
    } else if cfg!(windows) {
        let mut c = Command::new("cmd");
        c.args(["/C", "start", "", url]);
        c
    } else {
        let mut c = Command::new("xdg-open");
        c.arg(url);
        c
    }
}
