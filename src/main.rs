//! Parses the command line and starts the terminal front end.

use clap::Parser;
use kprod::cli::Cli;
use kprod::engine::EngineConfig;

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let settings = match cli.settings() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("kprod: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    if cli.topic.trim().is_empty() {
        eprintln!("kprod: the topic name is empty");
        return std::process::ExitCode::from(2);
    }
    let theme = match kprod::ui::theme::Theme::load(cli.theme.as_deref()) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("kprod: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    let config = EngineConfig {
        bootstrap: cli.bootstrap_servers.clone(),
        topic: cli.topic.clone(),
        settings,
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("kprod: cannot start the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(kprod::ui::run(config, theme));
    // A metadata request may still be waiting on an unreachable broker.
    runtime.shutdown_timeout(std::time::Duration::from_millis(200));
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("kprod: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
