//! Parses the command line and starts the chosen front end: the terminal
//! console, or `kprod produce`.

use std::process::ExitCode;

use clap::Parser;
use kprod::cli::{Cli, Sub};
use kprod::engine::{EngineConfig, Told};

/// Every record's bytes are allocated on one thread and freed on another,
/// several threads at once: mimalloc's per-thread heaps take that without
/// the arena locks glibc's malloc waited on (a third of kprod's own CPU time
/// flat out went to malloc and futex waits).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    few_malloc_arenas();
    exit_on_panic();
    let cli = Cli::parse();
    let common = match &cli.command {
        Some(Sub::Produce(args)) => &args.common,
        Some(Sub::Profiles) => {
            return match kprod::cli::list_profiles() {
                Ok(text) => {
                    print!("{text}");
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("kprod: {e}");
                    ExitCode::from(2)
                }
            };
        }
        None => &cli.common,
    };
    let profile = match common.profile() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("kprod: {e}");
            return ExitCode::from(2);
        }
    };
    let (mut settings, origins) = match common.layered(profile.as_ref()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("kprod: {e}");
            return ExitCode::from(2);
        }
    };
    // The console's composer: its schemas are asked for once it runs, and
    // --schema-registry is the serializers' schema.registry.url.
    if cli.command.is_none() {
        if let Err(e) = cli
            .serde
            .asks()
            .and_then(|_| cli.serde.registry_into(&mut settings))
        {
            eprintln!("kprod: {e}");
            return ExitCode::from(2);
        }
    }
    // Kept until kprod exits: dropping it stops the brokers.
    let local = match common.local_kafka {
        Some(nodes) => {
            eprintln!("kprod: starting Apache Kafka ({nodes} broker(s)) on loopback…");
            match kprod::engine::cluster::LocalKafka::start(nodes) {
                Ok(k) => Some(k),
                Err(e) => {
                    eprintln!("kprod: {}", kprod::words::error(e));
                    return ExitCode::FAILURE;
                }
            }
        }
        None => None,
    };
    let bootstrap = match &local {
        Some(k) => Some(k.bootstrap.clone()),
        None => common.bootstrap(profile.as_ref().map(|(p, _)| p)),
    };
    let config = EngineConfig {
        bootstrap,
        topic: common.topic(profile.as_ref().map(|(p, _)| p)),
        settings,
        verify: !common.no_verify,
        // Faults on a real cluster are made by the proxy.
        proxy: common.proxy
            || matches!(&cli.command, Some(Sub::Produce(args)) if !args.fault.is_empty()),
        records: match &cli.command {
            Some(Sub::Produce(args)) if args.quiet => Told::Outcomes,
            Some(Sub::Produce(_)) => Told::Payloads,
            // The console keeps every record it sent in its history: the
            // bytes as they went out.
            _ => Told::Payloads,
        },
    };
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    builder.enable_all();
    if cli.command.is_none() {
        // The screen's loop runs on this thread; the engine's run on the
        // runtime's.
        builder.on_thread_start(engine_thread_gives_way);
    }
    let runtime = match builder.build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("kprod: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let code = match cli.command {
        Some(Sub::Produce(args)) => runtime.block_on(kprod::headless::run(config, *args)),
        // `kprod profiles` was answered before anything started.
        Some(Sub::Profiles) | None => {
            let theme = match kprod::ui::theme::Theme::choose(cli.theme.as_deref()) {
                Ok(t) => t,
                Err(e) => {
                    eprintln!("kprod: {e}");
                    return ExitCode::from(2);
                }
            };
            if let Some(path) = &cli.stats {
                if let Err(e) = writable(path) {
                    eprintln!("kprod: --stats {}: {e}", path.display());
                    return ExitCode::from(2);
                }
            }
            // A profile picked in the console: its layer under the command
            // line's, as --profile would have made it.
            let local_bootstrap = local.as_ref().map(|k| k.bootstrap.clone());
            let reconnect = |name: &str| {
                let mut common = common.clone();
                common.profile = Some(name.to_string());
                let profile = common.profile()?;
                let (mut settings, origins) = common.layered(profile.as_ref())?;
                cli.serde.registry_into(&mut settings)?;
                let p = profile.as_ref().map(|(p, _)| p);
                let config = EngineConfig {
                    bootstrap: local_bootstrap.clone().or_else(|| common.bootstrap(p)),
                    topic: common.topic(p),
                    settings,
                    verify: !common.no_verify,
                    proxy: common.proxy,
                    records: Told::Payloads,
                };
                Ok((config, origins))
            };
            match runtime.block_on(kprod::ui::run(
                config,
                theme,
                cli.stats.as_deref(),
                origins,
                &cli.serde,
                &reconnect,
            )) {
                Ok(None) => ExitCode::SUCCESS,
                // The shell's convention: 128 + the signal's number.
                Ok(Some(signal)) => ExitCode::from((128 + signal) as u8),
                Err(e) => {
                    eprintln!("kprod: {e}");
                    ExitCode::FAILURE
                }
            }
        }
    };
    // A metadata request may still be waiting on an unreachable broker.
    runtime.shutdown_timeout(std::time::Duration::from_millis(200));
    drop(local);
    code
}

/// A panic anywhere ends kprod with exit code 101 once its message is out
/// (the console's hook restores the terminal first). tokio would catch a
/// panic in an engine task and run on without it: a burst that died there
/// left records unsent and the run ending 0.
fn exit_on_panic() {
    let report = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        report(info);
        eprintln!("kprod: stopped by an internal error (above); please report it");
        std::process::exit(101);
    }));
}

/// Whether the --stats file can be written, asked before the screen opens:
/// the figures are written on exit, too late to say the path was wrong.
fn writable(path: &std::path::Path) -> std::io::Result<()> {
    if path.is_dir() {
        return Err(std::io::Error::other("is a directory"));
    }
    // Opening for append creates the file if needed and changes nothing
    // in one that exists; it fails as the final write would.
    std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .map(drop)
}

/// glibc's malloc still serves librdkafka, which allocates a message on the
/// producer's caller's thread and frees it on its own; glibc gives each
/// thread that allocates an arena of its own, and with eight arenas memory
/// crept up with every million records; with two it stays flat
/// (scripts/bench.sh). Must run before any thread starts.
fn few_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets a malloc parameter; no thread exists yet.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}

/// The console draws and reads keys on the main thread; the engine's threads,
/// and librdkafka's threads they start (which inherit it), run at nice 5.
/// On two cores filled by a flat-out burst and a broker, a key press waited
/// for a core for up to 160 ms when all ran alike.
fn engine_thread_gives_way() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: setpriority on Linux sets the calling thread's nice value; an
    // error (not allowed) leaves it as it was, which is harmless.
    unsafe {
        libc::setpriority(libc::PRIO_PROCESS, libc::gettid() as libc::id_t, 5);
    }
}
