//! The terminal app: keys → actions → `update` → effects on tokio tasks → actions with data.

pub mod action;
pub mod app;
pub mod browse;
pub mod effect;
pub mod keymap;
pub mod quiz;
mod review_loads;
pub mod state;
pub mod study;
pub mod terminal;
pub mod ui;
pub mod update;
mod update_browse;
mod update_editor;
mod update_quiz;
mod update_review;
mod update_study;
mod update_tools;
