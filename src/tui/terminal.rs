//! Entering and leaving the terminal: the alternate screen, raw mode and bracketed paste,
//! undone on every exit path (normal return, signals through the run loop, panics).

use std::io::Write;

use crossterm::event::{DisableBracketedPaste, EnableBracketedPaste};
use ratatui::DefaultTerminal;

/// Sets the terminal up for the app. Bracketed paste is on, so that pasted text arrives as
/// one paste event and is never replayed as key presses (commands).
pub fn init() -> DefaultTerminal {
    let terminal = ratatui::init();
    let _ = crossterm::execute!(std::io::stdout(), EnableBracketedPaste);
    // ratatui's hook restores the screen; bracketed paste must be turned off too.
    let restore_screen = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        disable_paste();
        restore_screen(info);
    }));
    terminal
}

/// Gives the terminal back as it was.
pub fn restore() {
    disable_paste();
    ratatui::restore();
}

fn disable_paste() {
    let mut out = std::io::stdout();
    let _ = crossterm::execute!(out, DisableBracketedPaste);
    let _ = out.flush();
}
