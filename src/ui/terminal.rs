//! Entering and leaving the terminal's raw, full-screen mode, and making sure
//! it is left on every way out: normal exit, error and panic. Bracketed
//! paste is on while kprod runs, so a paste arrives as one event rather than
//! a key press a character.

use std::io::{self, Stdout};

use crossterm::event::{DisableBracketedPaste, EnableBracketedPaste};
use crossterm::execute;
use crossterm::terminal::{
    disable_raw_mode, enable_raw_mode, EnterAlternateScreen, LeaveAlternateScreen,
};
use ratatui::backend::CrosstermBackend;
use ratatui::Terminal;

pub type Term = Terminal<CrosstermBackend<Stdout>>;

/// The terminal in full-screen mode; dropping it restores the terminal.
pub struct Screen {
    pub terminal: Term,
}

impl Screen {
    pub fn enter() -> io::Result<Screen> {
        install_panic_hook();
        take()?;
        match Terminal::new(CrosstermBackend::new(io::stdout())) {
            Ok(terminal) => Ok(Screen { terminal }),
            Err(e) => {
                restore();
                Err(e)
            }
        }
    }
}

impl Drop for Screen {
    fn drop(&mut self) {
        restore();
        let _ = self.terminal.show_cursor();
    }
}

/// Raw mode, the alternate screen and bracketed paste; on failure the
/// terminal is left as it was.
fn take() -> io::Result<()> {
    enable_raw_mode()?;
    if let Err(e) = execute!(io::stdout(), EnterAlternateScreen, EnableBracketedPaste) {
        restore();
        return Err(e);
    }
    Ok(())
}

/// Ctrl-Z: the terminal goes back to the shell, kprod stops as a shell's
/// Ctrl-Z stops any program (raw mode reads Ctrl-Z as a key, so the
/// terminal itself never sends the signal), and when the shell continues it
/// (`fg`) the screen is taken again.
pub fn suspend() -> io::Result<()> {
    restore();
    signal_hook::low_level::raise(signal_hook::consts::SIGTSTP)?;
    take()
}

/// Runs `f` with the terminal given back to the shell (a masked password
/// prompt for a profile being switched to), then takes the screen again.
pub fn outside<T>(f: impl FnOnce() -> T) -> io::Result<T> {
    restore();
    let out = f();
    take()?;
    Ok(out)
}

/// Puts the terminal back as the shell expects it; safe to call twice.
pub fn restore() {
    let _ = disable_raw_mode();
    let _ = execute!(
        io::stdout(),
        DisableBracketedPaste,
        LeaveAlternateScreen,
        crossterm::cursor::Show
    );
}

fn install_panic_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore();
        previous(info);
    }));
}
