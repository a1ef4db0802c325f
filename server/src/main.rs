//! `skiff-server` command line: everything lives in [`skiff_server::cli`].

fn main() -> std::process::ExitCode {
    skiff_server::cli::run()
}
